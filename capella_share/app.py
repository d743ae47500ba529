"""The capella-share server extension."""

from __future__ import annotations

import os
import shutil
import typing as t

from jupyter_core.paths import jupyter_config_path, jupyter_data_dir, jupyter_runtime_dir
from jupyter_server.extension.application import ExtensionApp
from tornado.ioloop import IOLoop
from traitlets import Bool, Enum, Int, Type, Unicode, default, dlink

from . import policy, upstream
from .activity.contents import ActivityContentsMixin
from .activity.manager import ActivityTrail, slot_name
from .activity.shipping import RegistryShipper
from .authorizer import PolicyAuthorizerMixin
from .connections import ConnectionManager
from .events import activity_emitter, emit_kernel_restarted
from .events import register as register_events
from .gate import GuestGate
from .grants import HubGrants
from .identity import GuestIdentityMixin, principal_of
from .links import LinkManager
from .processes import GuestKernelsMixin, GuestTerminalsMixin, ProcessManager
from .redact import SecretRedactor, redact_logs, stop_redacting_logs, transform_for
from .routeguard import forget_guest_folders, guard_routes
from .sandbox import Sandbox
from .scope import ScopedSessionsMixin, follow_contents
from .settings import (
    ACTIVITY_SETTING,
    APP_SETTING,
    CONNECTIONS_SETTING,
    GATE_SETTING,
    HUB_GRANTS_SETTING,
    LIMITS,
    LINKS_SETTING,
    PROCESSES_SETTING,
    SHARES_OFF_SETTING,
    SHARES_SETTING,
    TRUST_NOTES_SETTING,
)
from .shares import (
    MANIFEST_ENV,
    LocalShareProvider,
    ManifestShareProvider,
    ReadOnlyShareGuardMixin,
    ShareProvider,
)
from .shares.provider import is_within
from .trust import TrustGuardMixin, TrustNotes
from .version import package_version

if t.TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

#: Lab plugins that would contradict ours: jupyter-collaboration's share button
#: puts the owner's token in the link it offers.
DISABLED_PLUGINS = ("@jupyter/collaboration-extension:shared-link",)

#: The page config option that tells a guest's Lab it is a guest's.
ROLE_OPTION = "capellaShareRole"

#: Why guests are refused until the checks at start have run.
GUESTS_NOT_YET = "Guest access is not open yet: the server is still starting."

#: Lab plugins a guest has no use for: the news would ask to change the owner's
#: settings, the extension manager to fetch from the package index, the plugin
#: manager to switch the owner's plugins off, the timeline for copies of a
#: document's history the server keeps for the owner only.
GUEST_DISABLED_PLUGINS = (
    "@jupyterlab/apputils-extension:announcements",
    "@jupyterlab/extensionmanager-extension:plugin",
    "@jupyterlab/pluginmanager-extension:plugin",
    "@jupyter/docprovider-extension:statusBarTimeline",
)


def _keep_composed(mixin: type) -> t.Callable[[t.Any], None]:
    """A trait observer that puts ``mixin`` back in front of any class assigned."""

    def observe(change: t.Any) -> None:
        composed = upstream.composed(mixin, change["new"])
        if composed is not change["new"]:
            change["owner"].set_trait(change["name"], composed)

    return observe


class CapellaShareApp(ExtensionApp):
    """Scoped, expiring, revocable share links and project notebook shares."""

    name = APP_SETTING
    #: set when the server links the extension, before any method below runs
    serverapp: ServerApp

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

    max_active_links = Int(
        1000,
        config=True,
        help="""The most share links that may be active at once. Creating one more
        answers 409 until some are revoked or expire. 0 sets no limit.""",
    )

    guest_workspace_max_bytes = Int(
        LIMITS["guest_workspace_max_bytes"],
        config=True,
        help="""The largest Lab workspace (the saved layout of open tabs, in bytes) a
        guest may save on this server; a larger one answers 413. The owner is not
        limited.""",
    )

    guest_workspace_max_count = Int(
        LIMITS["guest_workspace_max_count"],
        config=True,
        help="""The most Lab workspaces the guests of one link (or one hub grant) may
        keep on this server, all together; saving one more answers 413 (re-saving
        one a guest has is always allowed). The owner is not limited.""",
    )

    max_awareness_bytes = Int(
        LIMITS["max_awareness_bytes"],
        config=True,
        help="""The largest RTC awareness message (a collaborator's name, cursor and
        selection) a guest may send, in bytes. Larger ones are dropped, not relayed
        to the others in the document. The owner is not limited.""",
    )

    end_guest_kernels = Bool(
        True,
        config=True,
        help="""Shut down, when a link is revoked or expires, every kernel its guests
        started that neither the owner nor a guest of another live link has open.
        When False such kernels are kept for the owner. Either way the guests'
        terminals are terminated and their running code is interrupted.""",
    )

    sandbox_backend = Enum(
        ["auto", "bubblewrap", "landlock", "none"],
        default_value="auto",
        config=True,
        help="""What confines the code of kernels and guests' terminals (see
        docs/sandbox.md): "auto" tries bubblewrap (namespaces: it hides every
        other process too), then Landlock (Linux 5.13+, no namespaces needed: a
        default Kubernetes pod); "none" confines nothing. Without a working
        sandbox, edit and full links and grants are refused, unless
        allow_unconfined_code is set.""",
    )

    allow_unconfined_code = Bool(
        False,
        config=True,
        help="""Let guests who run code (edit and full links and grants) in although
        no sandbox works here. Their code then runs as the server's user: it can
        read the server's token and reach everything the server can. The Share
        dialog's warning says so.""",
    )

    confine_owner_kernels = Bool(
        True,
        config=True,
        help="""Run the owner's kernels in the sandbox too. A guest may run cells in
        the owner's kernel of a shared notebook, and a module a guest saved next to
        a notebook runs in the next kernel started there: in the sandbox they find
        no secret. When False the owner's kernels run as the server's user, and
        guests may not run code in them.""",
    )

    restart_kernels_guests_ran = Bool(
        True,
        config=True,
        help="""Restart, when a link ends, each kernel that stays (the owner's, or one
        a guest of another live link uses) in which a guest of the ended link ran
        code: its state may still hold what that code started (threads, loops).
        The owner's Lab is told. When False the kernel is kept and the guest's
        running code is only interrupted.""",
    )

    proxy_owner = Bool(
        False,
        config=True,
        help="""The owner is whoever the platform's authenticating proxy admitted. Set
        this when the server runs with its own token off (IdentityProvider.token =
        "", no password) behind a proxy that admits the owner by the platform's
        login and link guests by asking api/capella-share/auth-check (see
        docs/platforms.md): share links are then offered. A request bearing a
        link's token or login cookie is always that link's guest, and a dead
        link's are refused, never taken for the owner (this holds on any server
        without a token). Without this setting, a server without a token or
        password makes no links: whoever reaches it is the owner, so a link could
        not be limited.""",
    )

    share_provider_class = Type(
        klass=ShareProvider,
        config=True,
        help="""Where project shares come from. LocalShareProvider: a local share list
        (SQLite) the owner manages from the Lab panel, the REST API and
        `jupyter capella-share shares`. ManifestShareProvider: the JSON manifest
        named by manifest_path, written by the platform that started the session;
        nothing can be changed here. MountShareProvider: the volumes the platform
        mounted under shares_root, a read-only mount a read-only share (see
        docs/shares.md). RegistryShareProvider: the hub's share registry
        (docs/shares.md, Platforms); the default when CAPELLA_SHARE_REGISTRY_URL
        is set. Default: ManifestShareProvider when a manifest is named, else
        LocalShareProvider.""",
    )

    shares_root = Unicode(
        "",
        config=True,
        help="""The folder project shares are made in, as
        <shares_root>/<project-slug>/<model-slug>. A relative path is taken from the
        server's root directory, and the folder must lie inside it (so shares show
        in the file browser). Default: the root directory itself.""",
    )

    manifest_path = Unicode(
        config=True,
        help=f"""The platform's share manifest (JSON; see docs/shares.md). Default:
        the {MANIFEST_ENV} environment variable. Naming one makes
        ManifestShareProvider the default share provider.""",
    )

    activity_trail = Bool(
        True,
        config=True,
        help="""Record what guests do (docs/activity.md): arrivals and departures,
        files read and written, code run, terminals opened, refusals, and what the
        owner does to links and shares, in an append-only, hash-chained file and
        as events of the server's event bus. While it cannot be written, guests
        are refused. False records nothing.""",
    )

    activity_dir = Unicode(
        config=True,
        help="""The folder the activity trail is written in (a folder of its own
        for each server: "server", or under JupyterHub "hub-<user>-<server>").
        Nothing of a guest reaches it: not the contents API, not the sandbox.
        Default: <Jupyter data dir>/capella_share/activity.""",
    )

    activity_rotate_bytes = Int(
        10 * 1024 * 1024,
        config=True,
        help="""The size, in bytes, past which the trail's file is set aside
        (activity-<first record>.jsonl) and a new one begun.""",
    )

    activity_keep_files = Int(
        0,
        config=True,
        help="""How many set-aside trail files are kept; the oldest are removed past
        it. 0 (the default) keeps every one.""",
    )

    activity_to_registry = Bool(
        False,
        config=True,
        help="""Under JupyterHub, also send the activity trail to the hub's share
        registry (CAPELLA_SHARE_REGISTRY_URL, set by the spawner hook), which keeps
        each record about a file in a project share for that project's managers
        (docs/registry.md). Records the registry could not take are sent later:
        the trail's file stays the record.""",
    )

    @default("activity_dir")
    def _activity_dir_default(self) -> str:
        return os.path.join(jupyter_data_dir(), "capella_share", "activity")

    @default("share_provider_class")
    def _share_provider_class_default(self) -> type[ShareProvider]:
        from .shares.registry import REGISTRY_URL_ENV, RegistryShareProvider

        if os.environ.get(REGISTRY_URL_ENV):  # set by the hooks of capella_share.hubside.spawner
            return RegistryShareProvider
        return ManifestShareProvider if self.manifest_path else LocalShareProvider

    @default("manifest_path")
    def _manifest_path_default(self) -> str:
        return os.environ.get(MANIFEST_ENV, "")

    @default("max_link_lifetime")
    def _max_link_lifetime_default(self) -> int | None:
        return None

    @property
    def mode(self) -> str:
        """ "hub" when the server runs as a JupyterHub single-user server."""
        return "hub" if upstream.in_hub() else "standalone"

    @property
    def features(self) -> list[str]:
        features = [] if self.links_unavailable else ["links"]
        if getattr(self, "shares", None) is not None:
            features.append("shares")
        return features

    @property
    def links_unavailable(self) -> str | None:
        """Why share links cannot work safely on this server, in plain words naming
        what to set; None when they can."""
        guests_off = self.guests_off
        if guests_off:
            return guests_off
        if not self.allow_token_links:
            return "Share links are turned off on this server (CapellaShareApp.allow_token_links)."
        if not self._server_asks_login() and not self.proxy_owner:
            return (
                "This server asks nobody to log in (its token is off and it has no "
                "password), so whoever reaches it is the owner and a share link could "
                "not be limited. Behind a platform's authenticating proxy, set "
                "CapellaShareApp.proxy_owner = True and let the proxy ask "
                "api/capella-share/auth-check (docs/platforms.md); otherwise give the "
                "server a token or a password."
            )
        return None

    @property
    def guests_off(self) -> str:
        """Why no guest may come in ("" when they may)."""
        return self.gate.refusal()

    def _server_asks_login(self) -> bool:
        return bool(getattr(self.serverapp.identity_provider, "auth_enabled", True))

    def _check_login_mode(self) -> None:
        """Say at start what the proxy settings mean here."""
        reason = self.links_unavailable
        if reason == self.guests_off:
            pass  # said once the upstream checks have run
        elif reason and self.allow_token_links:
            self.log.warning("capella-share: share links are off. %s", reason)
        elif self.proxy_owner and self._server_asks_login():
            self.log.warning(
                "capella-share: CapellaShareApp.proxy_owner is set, but the server still "
                "asks for its token or password, so the owner must log in behind the "
                "proxy too. Behind an authenticating proxy, turn the token off "
                "(IdentityProvider.token = '') and let the proxy admit the owner."
            )
        elif self.proxy_owner:
            self.log.info(
                "capella-share: the owner is whoever the proxy admitted; requests "
                "bearing a share link are its guests (docs/platforms.md)."
            )

    # -- wiring -------------------------------------------------------------------------
    def _link_jupyter_server_extension(self, serverapp: t.Any) -> None:
        # upstream.extension_link_hook(): the one hook that runs early enough
        super()._link_jupyter_server_extension(serverapp)
        # Before the server builds its identity provider and authorizer: put ours in
        # front of whatever classes it is configured with.
        serverapp.identity_provider_class = upstream.composed(
            GuestIdentityMixin, serverapp.identity_provider_class
        )
        serverapp.authorizer_class = upstream.composed(
            PolicyAuthorizerMixin, serverapp.authorizer_class
        )
        # Extensions linked after this one re-apply the server's config: an operator's
        # (or JupyterHub's) configured classes would come back without ours in front.
        serverapp.observe(_keep_composed(GuestIdentityMixin), "identity_provider_class")
        serverapp.observe(_keep_composed(PolicyAuthorizerMixin), "authorizer_class")
        # Read-only project shares are enforced in the contents manager, whichever
        # class is configured (and re-applied by later extensions).
        serverapp.contents_manager_class = upstream.composed(
            ReadOnlyShareGuardMixin, serverapp.contents_manager_class
        )
        serverapp.observe(_keep_composed(ReadOnlyShareGuardMixin), "contents_manager_class")
        # What a guest writes is never signed as trusted (see trust.py).
        serverapp.contents_manager_class = upstream.composed(
            TrustGuardMixin, serverapp.contents_manager_class
        )
        serverapp.observe(_keep_composed(TrustGuardMixin), "contents_manager_class")
        # What guests read and write is recorded (see activity/contents.py).
        serverapp.contents_manager_class = upstream.composed(
            ActivityContentsMixin, serverapp.contents_manager_class
        )
        serverapp.observe(_keep_composed(ActivityContentsMixin), "contents_manager_class")
        # Terminals a guest creates are recorded, so that ending its link ends them.
        # The terminals extension links after us and makes its manager from its trait.
        for terminals in upstream.terminal_apps(serverapp):
            terminals.terminal_manager_class = upstream.composed(
                GuestTerminalsMixin, terminals.terminal_manager_class
            )
            terminals.observe(_keep_composed(GuestTerminalsMixin), "terminal_manager_class")

    def initialize_settings(self) -> None:
        # Guests come in once every upstream shape we rely on has been found in
        # place, when all extensions have loaded (_check_upstream).
        self.upstream_problems: list[upstream.Problem] = []
        self.gate = GuestGate()
        self.gate.close("starting", GUESTS_NOT_YET)
        self.serverapp.web_app.settings[GATE_SETTING] = self.gate
        self.links = LinkManager(parent=self, log=self.log)
        self.connections = ConnectionManager(self.links, parent=self, log=self.log)
        self._check_login_mode()
        self.settings.update({LINKS_SETTING: self.links, CONNECTIONS_SETTING: self.connections})
        self.hub_grants: HubGrants | None = None
        if upstream.in_hub():
            self.hub_grants = HubGrants(self.links, parent=self, log=self.log)
            self.settings[HUB_GRANTS_SETTING] = self.hub_grants
            self.hub_grants.start()
        self.links.on_end(self._remove_guest_folders)
        # Kernels a guest starts are recorded too. The server's default kernel manager
        # class depends on its gateway settings, unknown when we link: ours goes in
        # front of the class of the manager it made.
        upstream.compose_instance(self.serverapp.kernel_manager, GuestKernelsMixin)
        # a guest of one folder or file sees only the sessions inside it, and its
        # link follows that folder or file when it is moved
        upstream.compose_instance(self.serverapp.session_manager, ScopedSessionsMixin)
        upstream.follow_contents_events(self.serverapp, follow_contents(self.links))
        self.processes = ProcessManager(
            self.links, self.serverapp.kernel_manager, parent=self, log=self.log
        )
        dlink((self, "end_guest_kernels"), (self.processes, "end_guest_kernels"))
        dlink((self, "confine_owner_kernels"), (self.processes, "confine_owner_kernels"))
        dlink((self, "restart_kernels_guests_ran"), (self.processes, "restart_kernels_guests_ran"))
        self.settings[PROCESSES_SETTING] = self.processes
        register_events(self.serverapp)
        self.sandbox = self._start_sandbox()
        self.processes.sandbox = self.sandbox if self.sandbox.backend else None
        self.processes.on_restarted(self._kernel_restarted)

        # which notebooks guests wrote untrusted, for the owner's Lab to say so
        self.trust_notes = TrustNotes(self.links)
        self.settings[TRUST_NOTES_SETTING] = self.trust_notes
        contents_manager = self.serverapp.contents_manager
        if isinstance(contents_manager, TrustGuardMixin):
            contents_manager.trust_notes = self.trust_notes
        self.shares = self._start_shares()
        self.sandbox.share_provider = self.shares
        self.settings.update({SHARES_SETTING: self.shares, SHARES_OFF_SETTING: self._shares_off})
        # Before any other transform (compression): every response not made for the
        # owner has the server's secrets cut out; and every log line, anyone's.
        self.redactor = SecretRedactor.for_server(self.serverapp)
        upstream.add_first_transform(self.serverapp.web_app, transform_for(self.redactor))
        redact_logs(self.redactor)
        self.activity = self._start_activity()
        self._wrap_page_config_hook()

    def initialize_handlers(self) -> None:
        from .activity.handlers import activity_handlers
        from .grant_handlers import grant_handlers
        from .handlers import default_handlers
        from .shares.handlers import shares_handlers

        self.handlers.extend(default_handlers())
        self.handlers.extend(activity_handlers())
        self.handlers.extend(shares_handlers())
        self.handlers.extend(grant_handlers())
        # Extensions that load after this one (JupyterLab's) add their routes later:
        # classify again once every extension has loaded. A route added later still
        # is never vetted, and the identity provider recognises no guest on it.
        self._guard_routes()
        IOLoop.current().add_callback(self._guard_routes)

    def _start_sandbox(self) -> Sandbox:
        """The sandbox code runs in; without one, guests who run code are refused
        (or let in, as the operator chose, with their code unconfined)."""
        sandbox = Sandbox(self.serverapp, self.sandbox_backend, parent=self, log=self.log)
        if sandbox.backend:
            self.log.info("capella-share: code runs in a sandbox (%s)", sandbox.backend)
            return sandbox
        if self.allow_unconfined_code:
            self.log.warning(
                "capella-share: no sandbox works here (%s); guests' code runs as the "
                "server's user, as CapellaShareApp.allow_unconfined_code allows",
                sandbox.problem,
            )
            return sandbox
        reason = (
            f"Edit and full access are off: no sandbox can hold guests' code here "
            f"({sandbox.problem}). Install bubblewrap or allow user namespaces, or run on "
            "Linux 5.13+ with Landlock (docs/sandbox.md); or set "
            "CapellaShareApp.allow_unconfined_code = True to let guests' code run as you."
        )
        self.log.error("capella-share: %s", reason)
        self.gate.close("sandbox", reason, levels=policy.code_levels())
        return sandbox

    def _start_activity(self) -> ActivityTrail | None:
        """The activity trail, told by every part that sees what guests do; None
        when the operator turned it off."""
        self.shipper: RegistryShipper | None = None
        if not self.activity_trail:
            self.log.info("capella-share: guests' activity is not recorded (activity_trail)")
            return None
        trail = ActivityTrail(
            os.path.abspath(os.path.expanduser(self.activity_dir)),
            self.links,
            gate=self.gate,
            redactor=self.redactor,
            emit=activity_emitter(self.serverapp),
            slot=slot_name(os.environ),
            parent=self,
            log=self.log,
        )
        dlink((self, "activity_rotate_bytes"), (trail, "rotate_bytes"))
        dlink((self, "activity_keep_files"), (trail, "keep_files"))
        settings = self.serverapp.web_app.settings
        trail.file_id_of = lambda path: upstream.file_id(settings, path)
        trail.open()
        self.settings[ACTIVITY_SETTING] = trail
        self.processes.activity = trail
        contents_manager = self.serverapp.contents_manager
        if isinstance(contents_manager, ActivityContentsMixin):
            contents_manager.activity = trail
            contents_manager.private_folders = self._private_folders(trail)
        self.sandbox.private_folders = [trail.base_dir]
        trail.record("trail.start", version=package_version())
        self.shipper = self._start_shipping(trail)
        return trail

    def _start_shipping(self, trail: ActivityTrail) -> RegistryShipper | None:
        if not self.activity_to_registry:
            return None
        shipper = RegistryShipper(trail, getattr(self, "shares", None), parent=self, log=self.log)
        if not shipper.registry_url or not shipper.server.partition("/")[0]:
            self.log.error(
                "capella-share: activity_to_registry is set, but no share registry is named "
                "(CAPELLA_SHARE_REGISTRY_URL, set under JupyterHub by the spawner hook): the "
                "trail stays in %s",
                trail.folder,
            )
            return None
        shipper.start()
        return shipper

    def _private_folders(self, trail: ActivityTrail) -> tuple[str, ...]:
        """The server's folders no guest may reach that lie inside its root
        (where hidden files may be shown): the trail's, runtime, data, config."""
        root = os.path.realpath(self.serverapp.root_dir)
        folders = [
            trail.base_dir,
            self.serverapp.runtime_dir,
            jupyter_runtime_dir(),
            jupyter_data_dir(),
            *jupyter_config_path(),
        ]
        real = {os.path.realpath(folder) for folder in folders if folder}
        return tuple(
            sorted(folder for folder in real if is_within(folder, root) and folder != root)
        )

    def _kernel_restarted(self, kernel_id: str, link: t.Any) -> None:
        """Tell the owner's Lab that a kernel was restarted and why."""
        emit_kernel_restarted(self.serverapp, kernel_id, link)

    def _wrap_page_config_hook(self) -> None:
        """Put ours after whatever page config hook the server has. Idempotent:
        JupyterHub's single-user extension replaces the hook without calling the one
        before, so this runs again once every extension has initialised."""
        settings = self.serverapp.web_app.settings
        previous = settings.get(upstream.page_config_hook_key())
        if getattr(previous, "capella_share", False):
            return

        def hook(handler: t.Any, config: dict[str, t.Any]) -> dict[str, t.Any]:
            return self.page_config_hook(handler, previous(handler, config) if previous else config)

        hook.capella_share = True  # type:ignore[attr-defined]
        settings[upstream.page_config_hook_key()] = hook

    def _guard_routes(self) -> None:
        self._wrap_page_config_hook()
        for route in guard_routes(self.serverapp.web_app.default_router):
            self.log.warning(
                "capella-share: route %s (%s) is not classified by the policy: "
                "guests are refused there",
                route.pattern,
                route.handler,
            )
        self._check_upstream()

    def _check_upstream(self) -> None:
        """Let guests in only while every upstream shape we rely on is in place;
        otherwise say once, clearly, what moved and in which versions."""
        self._check_wiring()
        self.gate.open("starting")
        found = upstream.problems(self.serverapp)
        if not found:
            self.gate.open("upstream")
            self.upstream_problems = []
            return
        reason = (
            "Guest access is off: this server's Jupyter differs from what capella-share "
            "relies on ("
            + "; ".join(f"{p.touchpoint}: {p.problem}" for p in found)
            + f"). Installed: {upstream.installed_versions()}. Share links and grants "
            "are refused until capella-share supports these versions; the owner's own "
            "use is unaffected."
        )
        if found != self.upstream_problems:
            self.log.error("capella-share: %s", reason)
        self.upstream_problems = found
        self.gate.close("upstream", reason)

    def _check_wiring(self) -> None:
        """Let guests in only while our managers are the server's: someone who
        replaced one after us would leave guests unrecognised or unlimited, what
        they start impossible to end, or what they write trusted."""
        problem = self.wiring_problem()
        if problem is None:
            self.gate.open("wiring")
            return
        reason = (
            f"Guest access is off: {problem}, so guests could not be held to their "
            "links. Check which extension or configuration replaces it."
        )
        if self.gate.reason("wiring") != reason:
            self.log.error("capella-share: %s", reason)
        self.gate.close("wiring", reason)

    def wiring_problem(self) -> str | None:
        """What of ours is not in place in the server, once every extension loaded."""
        settings = self.serverapp.web_app.settings
        if not isinstance(settings.get("identity_provider"), GuestIdentityMixin):
            return "the server's identity provider is not capella-share's"
        if not isinstance(settings.get("authorizer"), PolicyAuthorizerMixin):
            return "the server's authorizer is not capella-share's"
        contents = self.serverapp.contents_manager
        if not isinstance(contents, TrustGuardMixin):
            return "the server's contents manager is not capella-share's"
        if self.activity is not None and not isinstance(contents, ActivityContentsMixin):
            return "the server's contents manager records nothing of what guests do"
        return self.processes.wiring_problem(self.serverapp)

    def _remove_guest_folders(self, link: t.Any, reason: str) -> None:
        """A link's guests are gone for good: so are the Lab layouts and settings
        they saved."""
        folders = forget_guest_folders(self.serverapp.web_app.settings, link.id)
        for folder in folders:
            IOLoop.current().run_in_executor(None, shutil.rmtree, folder, True)

    def page_config_hook(self, handler: t.Any, page_config: dict[str, t.Any]) -> dict[str, t.Any]:
        """What a Lab page may carry. A guest's page never carries the owner's token.

        The dict jupyterlab_server passes is shared between requests: we return a copy.
        """
        config = dict(page_config)
        disabled = config.get("disabledExtensions") or []
        config["disabledExtensions"] = [*disabled, *DISABLED_PLUGINS]
        principal = principal_of(handler.current_user)
        if not principal.is_owner:
            config["disabledExtensions"] += GUEST_DISABLED_PLUGINS
            config["token"] = ""
            # for what the guest's Lab must decide before it has asked anything
            # (which kernels it connects to: src/kernels/held.ts)
            config[ROLE_OPTION] = "guest"
            config["terminalsAvailable"] = config.get("terminalsAvailable", False) and (
                policy.allows(principal, policy.EXECUTE, "terminals")
            )
        return config

    # -- project shares ----------------------------------------------------------------------
    def _start_shares(self) -> ShareProvider | None:
        """The share provider, installed into the policy; None (and why, in
        ``_shares_off``) when shares cannot be offered safely."""
        self._shares_off = ""
        contents_manager = self.serverapp.contents_manager
        if not isinstance(contents_manager, ReadOnlyShareGuardMixin):
            return self._no_shares(
                "the server's contents manager is not capella-share's, so read-only "
                "shares could not be enforced"
            )
        root_dir = os.path.realpath(
            getattr(contents_manager, "root_dir", None) or self.serverapp.root_dir
        )
        shares_root = os.path.realpath(os.path.join(root_dir, os.path.expanduser(self.shares_root)))
        if not is_within(shares_root, root_dir):
            return self._no_shares(
                f"CapellaShareApp.shares_root ({self.shares_root!r}, that is {shares_root}) lies "
                f"outside the server's root directory {root_dir}; choose a folder inside it"
            )
        options: dict[str, t.Any] = {"root_dir": root_dir, "shares_root": shares_root}
        if issubclass(self.share_provider_class, ManifestShareProvider):
            if not self.manifest_path:
                return self._no_shares(
                    f"the manifest provider needs CapellaShareApp.manifest_path or {MANIFEST_ENV}"
                )
            options["manifest_path"] = os.path.abspath(os.path.expanduser(self.manifest_path))
        elif not self.share_provider_class.managed and not os.path.isdir(shares_root):
            # the platform's shares root is the platform's to make (and may not be writable)
            os.makedirs(shares_root, exist_ok=True)
        try:
            provider = self.share_provider_class(parent=self, log=self.log, **options)
            provider.refresh(force=True)
        except Exception as error:
            return self._no_shares(f"the share provider could not start: {error}")
        contents_manager.share_provider = provider
        self.log.info(
            "capella-share: project shares in %s, from %s", shares_root, provider.describe()
        )
        future = IOLoop.current().run_in_executor(None, provider.clean_trash)
        future.add_done_callback(self._trash_cleaned)
        return provider

    def _no_shares(self, reason: str) -> ShareProvider | None:
        """Record why shares are off; the None ``_start_shares`` answers then."""
        self._shares_off = reason
        self.log.error("capella-share: project shares are off: %s.", reason)
        return None

    def _trash_cleaned(self, future: t.Any) -> None:
        if future.cancelled():
            return
        if future.exception() is not None:
            self.log.error(
                "capella-share: could not finish an interrupted share delete: %s",
                future.exception(),
            )
            return
        files, size = future.result()
        if files:
            self.log.info(
                "capella-share: finished an interrupted share delete (%d files, %d bytes)",
                files,
                size,
            )

    async def _start_jupyter_server_extension(self, serverapp: t.Any) -> None:
        # ExtensionApp's documented start hook: once every extension is loaded and
        # initialised, as the server's loop starts. The one moment that holds
        # whatever the load order (JupyterHub's single-user extension runs the
        # loop while it initialises, so a callback queued earlier can run before
        # JupyterLab has added its routes).
        self._guard_routes()

    async def stop_extension(self) -> None:
        stop_redacting_logs(self.redactor)
        if self.hub_grants is not None:
            self.hub_grants.stop()
        self.links.close()
        await self.processes.settle()
        if self.activity is not None:
            self.activity.record("trail.stop")
            if self.shipper is not None:
                await self.shipper.stop()
            self.activity.close()
        shares: ShareProvider | None = getattr(self, "shares", None)
        if shares is not None:
            shares.close()
