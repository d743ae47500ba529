"""The one permission policy.

Every path that decides whether something may happen asks :func:`allows`:
the Authorizer (HTTP handlers and websockets at open), the Lab route guard
(workspaces, settings), the connection registry (websockets while open),
the RTC guard and the project-share guard. Nothing else holds permission rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

READ = "read"
WRITE = "write"
EXECUTE = "execute"
ACTIONS = (READ, WRITE, EXECUTE)


class Level(str, Enum):
    """What a principal may do: the three link permissions and the owner."""

    VIEW = "view"
    EDIT = "edit"
    FULL = "full"
    OWNER = "owner"


#: Link permissions a guest can be given (the owner is not a link permission).
LINK_PERMISSIONS = (Level.VIEW.value, Level.EDIT.value, Level.FULL.value)

_R, _RW, _RX, _RWX, _NONE = "r", "rw", "rx", "rwx", ""

#: resource -> {level: allowed actions as letters}. A resource not listed here is
#: the owner's only. "own" marks resources a guest may use only in a space of its
#: own (Lab workspaces: the route guard maps each guest to a workspace of its own).
TABLE: dict[str, dict[Level, str]] = {
    # files and what reads them
    "contents": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    "nbconvert": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    "kernelspecs": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    "api": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    "csp": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    # running code
    "kernels": {Level.VIEW: _R, Level.EDIT: _RWX, Level.FULL: _RWX},
    "sessions": {Level.VIEW: _R, Level.EDIT: _RWX, Level.FULL: _RWX},
    "lsp": {Level.VIEW: _R, Level.EDIT: _RWX, Level.FULL: _RWX},
    "terminals": {Level.VIEW: _NONE, Level.EDIT: _NONE, Level.FULL: _RWX},
    "events": {Level.VIEW: _RX, Level.EDIT: _RX, Level.FULL: _RWX},
    # the owner's configuration
    "config": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    "settings": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    "workspaces": {Level.VIEW: "own", Level.EDIT: "own", Level.FULL: "own"},
    "server": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    "lab:extensions": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    "lab:plugins": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    "lab:build": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    # capella-share itself
    "capella-share:session": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    "capella-share:links": {Level.VIEW: _NONE, Level.EDIT: _NONE, Level.FULL: _NONE},
    "capella-share:shares": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
}

_LETTER = {READ: "r", WRITE: "w", EXECUTE: "x"}


@dataclass(frozen=True)
class Principal:
    """Who is asking: the owner, or a guest holding a link of some permission."""

    level: Level
    username: str = ""
    link_id: str | None = None

    @property
    def is_owner(self) -> bool:
        return self.level is Level.OWNER


OWNER = Principal(Level.OWNER)

#: Answers whether a path lies in a read-only project share. Installed by the
#: project-share provider; until then no path is read-only.
_read_only_path: Callable[[str], bool] = lambda path: False  # noqa: E731


def set_read_only_paths(check: Callable[[str], bool]) -> None:
    """Install the function telling whether a contents path is read-only."""
    global _read_only_path
    _read_only_path = check


def allows(principal: Principal, action: str, resource: str, path: str | None = None) -> bool:
    """Whether ``principal`` may perform ``action`` on ``resource`` (at ``path``).

    ``path`` is a contents path (API form, ``/``-separated, relative to the server
    root). Under a read-only project share nobody writes, the owner included.
    """
    if action not in _LETTER:
        return False
    if action == WRITE and resource == "contents" and path is not None and _read_only_path(path):
        return False
    if principal.is_owner:
        return True
    row = TABLE.get(resource)
    if row is None:
        return False
    allowed = row.get(principal.level, _NONE)
    if allowed == "own":
        return True  # the caller confines the guest to its own space
    return _LETTER[action] in allowed


def may_manage(principal: Principal) -> bool:
    """Whether ``principal`` may create and revoke links and change project shares."""
    return allows(principal, WRITE, "capella-share:links")
