"""The base of our REST handlers: JSON in, JSON out, errors as ``{"message": ...}``,
the managers reached through the web app's settings (:mod:`.settings`).
"""

from __future__ import annotations

import json
import typing as t
import urllib.parse

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from jupyter_server.utils import url_path_join
from tornado import web

from .settings import ACTIVITY_SETTING, CONNECTIONS_SETTING, LINKS_SETTING

if t.TYPE_CHECKING:
    from .app import CapellaShareApp
    from .connections import ConnectionManager
    from .links import LinkManager


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
    def links(self) -> LinkManager:
        return t.cast("LinkManager", self.settings[LINKS_SETTING])

    @property
    def connections(self) -> ConnectionManager:
        return t.cast("ConnectionManager", self.settings[CONNECTIONS_SETTING])

    def record_owner(self, action: str, **fields: t.Any) -> None:
        """Put what the owner did to project shares in the activity trail, when
        there is one (links and grants are recorded as the link manager makes
        and ends them)."""
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
