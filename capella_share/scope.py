"""What a guest whose link shares one folder or file (its scope) reaches.

The policy (:func:`.policy.scope_allows`) says which contents paths a scope
admits by their names; here the same question is asked where paths meet the
disk (a symbolic link inside the scope may lead out of it) and where upstream
lists things that carry paths: sessions, kernels, terminals and events.
"""

from __future__ import annotations

import os
import typing as t

from tornado import web

from . import policy
from .principal import current_principal, principal_or_nobody

if t.TYPE_CHECKING:
    from .links import LinkManager


def checked(path: str, action: str, root: str | None) -> str:
    """``path`` (a contents path of a checked form) judged against the scope of
    the requesting guest, if its link shares one folder or file: reading inside
    it or a folder above it, changing only inside it; a path inside it whose
    symbolic links lead out of it is outside. A 403 saying so otherwise."""
    principal = current_principal()
    if not principal.scope:
        return path
    if not policy.scope_allows(principal, action, path):
        raise web.HTTPError(403, policy.scope_refusal(principal, path))
    if root and policy.in_scope(principal, path) and not really_in_scope(principal, path, root):
        raise web.HTTPError(
            403,
            f"{policy.scope_refusal(principal, path)} A symbolic link in it leads out of "
            "what the link shares.",
        )
    return path


def really_in_scope(principal: policy.Principal, path: str, root: str) -> bool:
    """Whether ``path``, its symbolic links followed, lies in ``principal``'s scope
    (followed too: a scope may itself be a link to a shared folder)."""
    real = os.path.realpath(os.path.join(root, path.strip("/")))
    scope = os.path.realpath(os.path.join(root, principal.scope))
    return real == scope or real.startswith(scope.rstrip(os.sep) + os.sep)


def shown(principal: policy.Principal, path: t.Any) -> bool:
    """Whether something about contents path ``path`` (a session's notebook, an
    event's file) may be shown to ``principal``; things with no path are shown
    only to guests without a scope."""
    if not principal.scope:
        return True
    return isinstance(path, str) and policy.in_scope(principal, path)


def home(principal: policy.Principal, root: str) -> str:
    """The contents path of the folder a scoped guest's kernels and terminals work
    in: the scope, or the folder of the file it is."""
    if os.path.isfile(os.path.join(root, principal.scope)):
        return principal.scope.rpartition("/")[0]
    return principal.scope


def may_work_in(principal: policy.Principal, path: str, root: str) -> bool:
    """Whether a kernel or terminal of ``principal`` may work in folder ``path``."""
    return policy.in_scope(principal, path) or path.strip("/") == home(principal, root)


def _refuse_unless_shown(principal: policy.Principal, path: t.Any) -> None:
    if not shown(principal, path if isinstance(path, str) else None):
        raise web.HTTPError(403, policy.scope_refusal(principal, str(path or "")))


class ScopedSessionsMixin:
    """Session manager mixin: a guest whose link shares one folder or file lists,
    reaches and makes only sessions (notebooks, consoles) inside it."""

    async def every_session(self) -> list[dict[str, t.Any]]:
        """Every session, whoever asks (for capella-share's own decisions)."""
        return t.cast("list[dict[str, t.Any]]", await super().list_sessions())  # type:ignore[misc]

    async def list_sessions(self) -> list[dict[str, t.Any]]:
        sessions = await self.every_session()
        principal = principal_or_nobody()
        if principal is None:
            return []  # nobody sees nothing
        return [model for model in sessions if shown(principal, model.get("path"))]

    async def get_session(self, **kwargs: t.Any) -> dict[str, t.Any]:
        principal = current_principal()
        if principal.scope and "path" in kwargs:
            _refuse_unless_shown(principal, kwargs["path"])
        model: dict[str, t.Any] = await super().get_session(**kwargs)  # type:ignore[misc]
        if not shown(principal, model.get("path")):
            # as for a session that does not exist: its id says nothing more
            raise web.HTTPError(404, "Session not found: no such session in what this link shares.")
        return model

    async def session_exists(self, path: t.Any) -> bool:
        principal = current_principal()
        if principal.scope:
            _refuse_unless_shown(principal, path)
        return t.cast(bool, await super().session_exists(path))  # type:ignore[misc]

    async def create_session(self, path: t.Any = None, *args: t.Any, **kwargs: t.Any) -> t.Any:
        principal = current_principal()
        if principal.scope:
            _refuse_unless_shown(principal, path)
        return await super().create_session(path, *args, **kwargs)  # type:ignore[misc]

    async def update_session(self, session_id: str, **kwargs: t.Any) -> t.Any:
        principal = current_principal()
        if principal.scope:
            await self.get_session(session_id=session_id)
            if "path" in kwargs:
                _refuse_unless_shown(principal, kwargs["path"])
        return await super().update_session(session_id, **kwargs)  # type:ignore[misc]

    async def delete_session(self, session_id: str) -> t.Any:
        if current_principal().scope:
            await self.get_session(session_id=session_id)
        return await super().delete_session(session_id)  # type:ignore[misc]


def follow_contents(links: LinkManager) -> t.Callable[..., t.Awaitable[None]]:
    """A listener of the contents manager's events: a scope that is moved is
    followed, one that is deleted ends its links (moves made outside the server,
    in a terminal, are not seen: such a link's guests find nothing there)."""

    async def changed(logger: t.Any, schema_id: str, data: t.Any) -> None:
        if not isinstance(data, dict):
            return
        action, path = data.get("action"), data.get("path")
        if not isinstance(path, str):
            return
        if action == "rename" and isinstance(data.get("source_path"), str):
            links.follow_move(data["source_path"], path)
        elif action == "delete":
            links.end_within(path)

    return changed
