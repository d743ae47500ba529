"""Sending the activity trail to the hub's share registry, where it is kept per
project (``CapellaShareApp.activity_to_registry``).

The trail's file stays the record: what has been sent is remembered by the last
``seq`` the registry took (in the trail's folder, ``registry-sent``), so records
made while the registry could not be reached, or before a restart, are sent once
it can. Each record about a file in a project share names that project.
"""

from __future__ import annotations

import contextlib
import json
import os
import typing as t
import urllib.parse

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Float, Int, Unicode, default
from traitlets.config import LoggingConfigurable

from .. import upstream
from ..policy import is_within
from ..poller import Poller
from ..shares.rules import error_message
from .manager import ActivityTrail, Record

#: Where the last seq the registry took is kept, in the trail's folder.
SENT = "registry-sent"


def server_name(environ: t.Mapping[str, str]) -> str:
    """This server as the registry names it: "<owner>/<server name>"."""
    user, server = upstream.hub_server(environ) or ("", "")
    return f"{user}/{server}"


class RegistryShipper(LoggingConfigurable):
    """Sends the trail's new records to the registry every ``interval`` seconds."""

    registry_url = Unicode(
        help="""The registry's API base (…/services/capella-share-registry/api/).
        Default: CAPELLA_SHARE_REGISTRY_URL, as the spawner hook sets it.""",
    ).tag(config=True)
    api_token = Unicode(
        help="""The token the registry is asked with. Default: the server's own
        (JUPYTERHUB_API_TOKEN), which acts as its owner."""
    ).tag(config=True)
    server = Unicode(
        help="""This server as the registry names it, "<owner>/<server name>".
        Default: from JUPYTERHUB_USER and JUPYTERHUB_SERVER_NAME."""
    ).tag(config=True)
    interval = Float(
        2.0,
        help="""Seconds between two sendings; while the registry cannot be reached,
        up to eight times as long.""",
    ).tag(config=True)
    batch = Int(200, help="The most records sent at once.").tag(config=True)

    @default("registry_url")
    def _registry_url_default(self) -> str:
        from ..shares.registry import REGISTRY_URL_ENV

        return os.environ.get(REGISTRY_URL_ENV, "")

    @default("server")
    def _server_default(self) -> str:
        return server_name(os.environ)

    @default("api_token")
    def _api_token_default(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    def __init__(self, trail: ActivityTrail, shares: t.Any = None, **kwargs: t.Any):
        super().__init__(**kwargs)
        self.trail = trail
        self.shares = shares
        self.sent = self._read_sent()
        self.problem = ""
        self._busy = False
        self._poller: Poller | None = None

    def start(self) -> None:
        # a failed sending is tried again less and less often: the records wait in
        # the trail's file meanwhile
        self._poller = Poller(
            self.send, self.interval, name="sending the activity trail", log=self.log
        )
        self._poller.start(now=False)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.stop()
        await self.send()  # what the server's stop recorded

    # -- what was sent --------------------------------------------------------------------
    def _sent_path(self) -> str:
        return os.path.join(self.trail.folder, SENT)

    def _read_sent(self) -> int:
        try:
            with open(self._sent_path()) as file:
                return int(file.read().strip() or 0)
        except (OSError, ValueError):
            return 0

    def _write_sent(self, seq: int) -> None:
        partial = self._sent_path() + ".part"
        with open(partial, "w") as file:
            file.write(str(seq))
        os.replace(partial, self._sent_path())
        self.sent = seq

    # -- sending ----------------------------------------------------------------------------
    def project_of(self, record: Record) -> str | None:
        """The project of the share the record's file lies in (None if none)."""
        path = record.get("path")
        if self.shares is None or not isinstance(path, str):
            return None
        with contextlib.suppress(Exception):
            for share in self.shares.list_shares():
                if is_within(path, share.path):
                    return str(share.project)
        return None

    async def send(self) -> bool:
        """Send what the registry has not taken yet; False if it could not be sent."""
        if self._busy or not self.trail.folder:
            return True
        self._busy = True
        try:
            while True:
                records = self.trail.records_after(self.sent, self.batch)
                if not records:
                    return True
                if not await self._post(records):
                    return False
                self._write_sent(records[-1]["seq"])
        finally:
            self._busy = False

    async def _post(self, records: list[Record]) -> bool:
        body = {
            "server": self.server,
            "records": [{**record, "project": self.project_of(record)} for record in records],
        }
        request = HTTPRequest(
            urllib.parse.urljoin(self.registry_url.rstrip("/") + "/", "activity"),
            method="POST",
            headers={
                "Authorization": f"token {self.api_token}",
                "Content-Type": "application/json",
            },
            body=json.dumps(body),
            request_timeout=20,
        )
        try:
            await AsyncHTTPClient().fetch(request)
        except HTTPClientError as error:
            # the registry says why in its {"message"} body
            answer = error.response.body if error.response is not None else None
            self._failed(error_message(answer, str(error)))
            return False
        except OSError as error:
            self._failed(str(error))
            return False
        if self.problem:
            self.log.info("capella-share: the activity trail reaches the registry again")
            self.problem = ""
        return True

    def _failed(self, reason: str) -> None:
        if reason != self.problem:
            self.log.warning(
                "capella-share: the activity trail could not be sent to the registry (%s); "
                "it is sent once it can be",
                reason,
            )
        self.problem = reason
