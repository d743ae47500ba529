"""The capella-share server extension."""

from __future__ import annotations

import os
import typing as t

from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Enum, Int, default

from . import policy
from .authorizer import PolicyAuthorizerMixin
from .connections import ConnectionRegistry
from .identity import CONNECTIONS_SETTING, LINKS_SETTING, GuestIdentityMixin, principal_of
from .links import LinkRegistry
from .routeguard import guard_routes

#: Lab plugins that would contradict ours: jupyter-collaboration's share button
#: puts the owner's token in the link it offers.
DISABLED_PLUGINS = ("@jupyter/collaboration-extension:shared-link",)


def _composed(mixin: type, base: type) -> type:
    """``base`` with ``mixin`` in front, unless it already has it."""
    if issubclass(base, mixin):
        return base
    return type(f"CapellaShare{base.__name__}", (mixin, base), {"__module__": base.__module__})


class CapellaShareApp(ExtensionApp):
    """Scoped, expiring, revocable share links and project notebook shares."""

    name = "capella_share"

    allow_token_links = Bool(
        True,
        config=True,
        help="""Allow the owner to make share links. When False, creating a link
        answers 403 and the Share dialog offers only the plain session URL.""",
    )

    max_link_lifetime = Int(
        None,
        allow_none=True,
        config=True,
        help="""The longest a share link may live, in seconds. None (the default)
        sets no limit: a link without expiry then lives until it is revoked or the
        server stops. When set, every link must name an expiry within it.""",
    )

    default_permission = Enum(
        list(policy.LINK_PERMISSIONS),
        default_value=policy.Level.VIEW.value,
        config=True,
        help="The permission of a link whose creation request names none.",
    )

    @default("max_link_lifetime")
    def _max_link_lifetime_default(self) -> int | None:
        return None

    @property
    def mode(self) -> str:
        """ "hub" when the server runs as a JupyterHub single-user server."""
        return "hub" if os.environ.get("JUPYTERHUB_API_TOKEN") else "standalone"

    @property
    def features(self) -> list[str]:
        return ["links"] if self.allow_token_links else []

    # -- wiring -------------------------------------------------------------------------
    def _link_jupyter_server_extension(self, serverapp: t.Any) -> None:
        super()._link_jupyter_server_extension(serverapp)
        # Before the server builds its identity provider and authorizer: put ours in
        # front of whatever classes it is configured with.
        serverapp.identity_provider_class = _composed(
            GuestIdentityMixin, serverapp.identity_provider_class
        )
        serverapp.authorizer_class = _composed(PolicyAuthorizerMixin, serverapp.authorizer_class)

    def initialize_settings(self) -> None:
        self.links = LinkRegistry(parent=self, log=self.log)
        self.connections = ConnectionRegistry(self.links, parent=self, log=self.log)
        settings = self.serverapp.web_app.settings
        if not isinstance(settings.get("identity_provider"), GuestIdentityMixin) or not isinstance(
            settings.get("authorizer"), PolicyAuthorizerMixin
        ):
            # Someone replaced the classes after us: guests would not be recognised
            # or not be limited. Fail closed.
            self.log.error(
                "capella-share: the server's identity provider or authorizer is not "
                "capella-share's; share links are turned off."
            )
            self.allow_token_links = False
        self.settings.update({LINKS_SETTING: self.links, CONNECTIONS_SETTING: self.connections})
        previous_hook = settings.get("page_config_hook")
        settings["page_config_hook"] = lambda handler, config: self.page_config_hook(
            handler, previous_hook(handler, config) if previous_hook else config
        )

    def initialize_handlers(self) -> None:
        from .handlers import default_handlers

        self.handlers.extend(default_handlers())
        router = self.serverapp.web_app.default_router
        guard_routes(router)
        # Extensions that load after this one (JupyterLab's) add their routes later.
        IOLoop.current().add_callback(guard_routes, router)

    def page_config_hook(self, handler: t.Any, page_config: dict) -> dict:
        """What a Lab page may carry. A guest's page never carries the owner's token.

        The dict jupyterlab_server passes is shared between requests: we return a copy.
        """
        config = dict(page_config)
        disabled = config.get("disabledExtensions") or []
        config["disabledExtensions"] = [*disabled, *DISABLED_PLUGINS]
        principal = principal_of(handler.current_user)
        if not principal.is_owner:
            config["token"] = ""
            config["terminalsAvailable"] = config.get("terminalsAvailable", False) and (
                policy.allows(principal, policy.EXECUTE, "terminals")
            )
        return config

    async def stop_extension(self) -> None:
        self.links.close()
