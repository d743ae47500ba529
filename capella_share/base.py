"""What every part of the server extension shares: the keys under which the
managers sit in the web app's settings, and the base of our REST handlers.

Handlers reach the managers through these settings (as jupyter_server_terminals'
handlers reach theirs), so no handler module imports the app, and the app
imports handler modules only to route them.
"""

from __future__ import annotations

import json
import typing as t
import urllib.parse

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado import web

if t.TYPE_CHECKING:
    from .app import CapellaShareApp
    from .connections import ConnectionRegistry
    from .links import LinkRegistry

#: web app settings keys, one per manager (the app puts them there at start)
LINKS_SETTING = "capella_share_links"
CONNECTIONS_SETTING = "capella_share_connections"
PROCESSES_SETTING = "capella_share_processes"
HUB_GRANTS_SETTING = "capella_share_hub_grants"
SHARES_SETTING = "capella_share_shares"
ACTIVITY_SETTING = "capella_share_activity"
#: why project shares are off ("" when they are on)
SHARES_OFF_SETTING = "capella_share_shares_off"
#: why guests may not come in at all ("" when they may): an upstream shape we
#: rely on is missing (see upstream.py)
GUESTS_OFF_SETTING = "capella_share_guests_off"


#: The key under which jupyter_server keeps our ExtensionApp in the web app's
#: settings: its name.
APP_SETTING = "capella_share"

#: The limits on guests, as the app's traits of these names, with their defaults.
LIMITS: dict[str, int] = {
    "guest_workspace_max_bytes": 1024 * 1024,
    "guest_workspace_max_count": 10,
    "max_awareness_bytes": 64 * 1024,
}


def configured(settings: t.Mapping[str, t.Any], name: str) -> int:
    """The value of the limit ``name`` (a trait of the app) for the server of
    ``settings``, read each time (the owner may change it); its default when the
    extension is not there."""
    app = settings.get(APP_SETTING)
    return int(getattr(app, name)) if app is not None else LIMITS[name]


def package_version() -> str:
    try:
        from ._version import __version__
    except ImportError:  # a source tree that was never built
        return "dev"
    return __version__


#: The pages a session URL may open: the Lab, and Notebook 7's (its file tree, a
#: notebook, a file in its editor).
PAGES = ("lab", "tree", "notebooks", "edit")


class CapellaShareHandler(ExtensionHandlerMixin, APIHandler):
    """Base of our REST handlers: JSON in, JSON out, errors as ``{"message": ...}``."""

    auth_resource = "capella-share:session"

    @property
    def app(self) -> CapellaShareApp:
        return self.extensionapp  # type:ignore[return-value]

    @property
    def links(self) -> LinkRegistry:
        return t.cast("LinkRegistry", self.settings[LINKS_SETTING])

    @property
    def connections(self) -> ConnectionRegistry:
        return t.cast("ConnectionRegistry", self.settings[CONNECTIONS_SETTING])

    def record_owner(self, action: str, **fields: t.Any) -> None:
        """Put what the owner did (to links, grants, project shares) in the
        activity trail, when there is one."""
        trail = self.settings.get(ACTIVITY_SETTING)
        if trail is not None:
            trail.owner(action, **fields)

    def json_body(self) -> dict[str, t.Any]:
        """The request body as a JSON object, or a 400 saying what is wrong with it."""
        if not self.request.body:
            return {}
        try:
            body = json.loads(self.request.body)
        except (ValueError, UnicodeDecodeError) as error:
            raise web.HTTPError(400, f"The request body is not valid JSON: {error}") from None
        if not isinstance(body, dict):
            raise web.HTTPError(400, "The request body must be a JSON object.")
        try:
            # JSON may escape half a surrogate pair ("\ud800"): not text, and it
            # cannot be stored, logged or put in a URL
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise web.HTTPError(
                400, "The request body holds an unpaired surrogate (\\ud800-\\udfff): not text."
            ) from None
        return body

    def write_json(self, model: t.Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(model))

    def session_url(self, path: str = "", page: str = "lab") -> str:
        """The URL of this session's ``page`` (the Lab, or Notebook 7's tree,
        notebooks or edit page), at ``path`` if given, without any token."""
        url = url_path_join(self.base_url, page)
        if path:
            if page == "lab":
                url = url_path_join(url, "tree")
            url = url_path_join(url, urllib.parse.quote(path))
        return f"{self.request.protocol}://{self.request.host}{url}"
