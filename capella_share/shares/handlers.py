"""REST handlers of ``{base_url}api/capella-share/shares``: thin, the provider does the work."""

from __future__ import annotations

import asyncio
import typing as t
import urllib.parse

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.iostream import StreamClosedError

from .. import policy, upstream
from ..handler_base import CapellaShareHandler
from ..identity import principal_of
from ..settings import SHARES_OFF_SETTING, SHARES_SETTING
from . import deletion
from .archive import zip_chunks
from .provider import READ_WRITE, ShareError

if t.TYPE_CHECKING:
    from .provider import ShareProvider


_SLUG = r"([^/]+)"


class ShareBaseHandler(CapellaShareHandler):
    """Reading is for everyone logged in; changes are the owner's (the policy says so)."""

    auth_resource = "capella-share:shares"

    @property
    def provider(self) -> ShareProvider:
        provider: ShareProvider | None = self.settings.get(SHARES_SETTING)
        if provider is None:
            reason = self.settings.get(SHARES_OFF_SETTING) or "they are not configured"
            raise web.HTTPError(503, f"Project shares are off on this server: {reason}")
        return provider

    def share_error(self, error: ShareError) -> web.HTTPError:
        return web.HTTPError(error.status, error.message)

    async def share_model(self, provider: ShareProvider, share: t.Any) -> dict[str, t.Any]:
        stats = await provider.measured([share])
        return provider.model(share, stats[share.key])


class SharesHandler(ShareBaseHandler):
    """``shares``: list and create."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        provider = self.provider
        try:
            shares = provider.list_shares()
        except ShareError as problem:
            raise self.share_error(problem) from None
        principal = principal_of(self.current_user)
        if principal.scope:
            # a guest of one folder or file learns of the shares it lies in or holds
            shares = [
                share
                for share in shares
                if policy.is_within(share.path, principal.scope)
                or policy.is_within(principal.scope, share.path)
            ]
        error = getattr(provider, "error", None)
        stats = await provider.measured(shares)
        self.write_json(
            {
                "shares": [provider.model(share, stats[share.key]) for share in shares],
                "managed": provider.managed,
                "source": provider.source_model(),
                "shares_root": provider.shares_root_path,
                "problem": error,
            }
        )

    @web.authenticated
    @authorized
    async def post(self) -> None:
        provider = self.provider
        body = self.json_body()
        unknown = set(body) - {"project", "model", "permission"}
        if unknown:
            raise web.HTTPError(400, f"Unknown field(s): {', '.join(sorted(unknown))}.")
        try:
            args = (body.get("project"), body.get("model"), body.get("permission", READ_WRITE))
            if getattr(provider, "blocking_changes", False):  # waits for the share registry
                loop = asyncio.get_running_loop()
                share = await loop.run_in_executor(None, provider.create, *args)
            else:
                share = provider.create(*args)
        except ShareError as error:
            raise self.share_error(error) from None
        self.record_owner(
            "share.create", share=share.key, path=share.path, permission=share.permission
        )
        self.set_header(
            "Location",
            url_path_join(self.base_url, "api/capella-share/shares", share.project, share.model),
        )
        self.write_json(await self.share_model(provider, share), status=201)


class ShareHandler(ShareBaseHandler):
    """``shares/{project}/{model}``: change the permission, delete."""

    @web.authenticated
    @authorized
    async def patch(self, project: str, model: str) -> None:
        provider = self.provider
        body = self.json_body()
        unknown = set(body) - {"permission"}
        if unknown or "permission" not in body:
            raise web.HTTPError(400, 'The body must be {"permission": "read-write" | "read-only"}.')
        try:
            share = provider.set_permission(project, model, body["permission"])
        except ShareError as error:
            raise self.share_error(error) from None
        self.record_owner("share.permission", share=share.key, permission=share.permission)
        self.write_json(await self.share_model(provider, share))

    @web.authenticated
    @authorized
    async def delete(self, project: str, model: str) -> None:
        provider = self.provider
        body = self.json_body()
        # the files of it edited live: their watch would log an error every poll
        serverapp = self.settings["serverapp"]
        try:
            folder = provider.get_share(project, model).path
        except ShareError as error:
            raise self.share_error(error) from None
        live = [
            file_id
            for file_id, path in upstream.live_documents(serverapp)
            if path == folder or path.startswith(folder + "/")
        ]
        try:
            await self._delete(provider, project, model, body)
        finally:
            await upstream.stop_watching(serverapp, live)

    async def _delete(
        self, provider: t.Any, project: str, model: str, body: dict[str, t.Any]
    ) -> None:
        delete_share = getattr(provider, "delete_share", None)
        if delete_share is not None:  # the platform removes the files (the share registry)
            loop = asyncio.get_running_loop()
            try:
                files, size = await loop.run_in_executor(
                    None, delete_share, project, model, body.get("confirm")
                )
            except ShareError as error:
                raise self.share_error(error) from None
            self.record_owner("share.delete", share=f"{project}/{model}", files=files)
            self.write_json({"deleted_files": files, "deleted_bytes": size})
            return
        try:
            trashed = provider.move_out_of_sight(project, model, body.get("confirm"))
        except ShareError as error:
            raise self.share_error(error) from None
        files = size = 0
        if trashed is not None:
            loop = asyncio.get_running_loop()
            files, size = await loop.run_in_executor(None, deletion.remove_tree, trashed)
        self.record_owner("share.delete", share=f"{project}/{model}", files=files)
        self.write_json({"deleted_files": files, "deleted_bytes": size})


class ShareArchiveHandler(ShareBaseHandler):
    """``shares/{project}/{model}/archive``: the share as a zip, streamed."""

    @web.authenticated
    @authorized
    async def get(self, project: str, model: str) -> None:
        provider = self.provider
        try:
            share = provider.get_share(project, model)
        except ShareError as error:
            raise self.share_error(error) from None
        principal = principal_of(self.current_user)
        if not policy.is_within(share.path, principal.scope):
            raise web.HTTPError(403, policy.scope_refusal(principal, share.path))
        os_path = provider.os_path(share)
        chunks = zip_chunks(os_path, share.model)
        loop = asyncio.get_running_loop()
        try:
            first = await loop.run_in_executor(None, next, chunks, None)
        except (FileNotFoundError, NotADirectoryError):
            raise web.HTTPError(404, f"The share {share.key} has no folder.") from None
        except OSError as error:
            raise web.HTTPError(409, f"Cannot read the share {share.key}: {error}") from None
        name = f"{share.project}-{share.model}.zip"
        self.set_header("Content-Type", "application/zip")
        self.set_header(
            "Content-Disposition",
            f"attachment; filename=\"{name}\"; filename*=UTF-8''{urllib.parse.quote(name)}",
        )
        self.set_header("Cache-Control", "no-store")
        try:
            chunk = first
            while chunk is not None:
                self.write(chunk)
                await self.flush()
                chunk = await loop.run_in_executor(None, next, chunks, None)
        except StreamClosedError:
            self.log.info("capella-share: the download of %s was cancelled", share.key)
            return
        finally:
            await loop.run_in_executor(None, chunks.close)
        self.finish(set_content_type="application/zip")


def shares_handlers() -> list[tuple[str, type]]:
    return [
        (r"api/capella-share/shares", SharesHandler),
        (rf"api/capella-share/shares/{_SLUG}/{_SLUG}", ShareHandler),
        (rf"api/capella-share/shares/{_SLUG}/{_SLUG}/archive", ShareArchiveHandler),
    ]


__all__ = ["SHARES_OFF_SETTING", "SHARES_SETTING", "shares_handlers"]
