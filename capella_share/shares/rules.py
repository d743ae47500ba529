"""The rules of a project share that the hub side and the single-user server both follow.

A share is one folder per (project, model), named by slugs; a member has one of two
permissions. The hub side (:mod:`capella_share.hubside`: the spawner hooks and the
share registry service) checks names with the same rules as the session's
providers, and hands the session what it follows under the environment variables
named here.

Nothing here may import the single-user server (jupyter_server, the app, the
handlers): the hub side imports this module (tests/hubside/test_hubside_imports.py).
"""

from __future__ import annotations

import json
import os
import re
import typing as t
import unicodedata
import urllib.parse

from slugify import slugify

READ_WRITE = "read-write"
READ_ONLY = "read-only"
PERMISSIONS = (READ_WRITE, READ_ONLY)
#: The registry's role above read-write: may create and delete the project's shares.
MANAGER = "manager"

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG = 63
MAX_NAME = 200

#: The share manifest (docs/shares.md) a local spawner's hook wrote for the session.
MANIFEST_ENV = "CAPELLA_SHARE_MANIFEST"
#: The registry's API base, as the session reaches it (set by the spawner hooks).
REGISTRY_URL_ENV = "CAPELLA_SHARE_REGISTRY_URL"
#: Where the hooks put the shares in the session: <mount root>/<project>/<model>.
MOUNT_ROOT_ENV = "CAPELLA_SHARE_MOUNT_ROOT"


class ShareError(Exception):
    """A request about shares that cannot be done: an HTTP status and a message for people."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def slug_of(name: t.Any, what: str) -> str:
    """The folder name python-slugify makes of ``name``, or a 400 saying why there is none."""
    if not isinstance(name, str):
        raise ShareError(400, f"The {what} name must be a string.")
    name = name.strip()
    if not name:
        raise ShareError(400, f"The {what} name is empty.")
    if len(name) > MAX_NAME:
        raise ShareError(400, f"The {what} name is longer than {MAX_NAME} characters.")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ShareError(400, f"The {what} name contains control characters.")
    decoded = name
    for _ in range(4):  # "%252F" is "/" encoded twice
        decoded, previous = urllib.parse.unquote(decoded), decoded
        if decoded == previous:
            break
    if any(sep in decoded for sep in ("/", "\\")):
        raise ShareError(
            400,
            f"The {what} name {name!r} contains a path separator: a share is one folder "
            "per project and model, named after them.",
        )
    slug = slugify(name)
    if not slug:
        raise ShareError(
            400, f"The {what} name {name!r} has no letters or digits to make a folder name from."
        )
    if len(slug) > MAX_SLUG:
        raise ShareError(
            400,
            f"The {what} name {name[:40]!r}… makes a folder name of {len(slug)} characters; "
            f"at most {MAX_SLUG} are allowed. Choose a shorter name.",
        )
    return check_slug(slug, what)


def check_slug(value: t.Any, what: str) -> str:
    """``value`` if it is a share folder name (as in a URL), else a 400 saying what one is."""
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > MAX_SLUG:
        raise ShareError(
            400,
            f"{value!r} is not a {what} of a share: it must be 1 to {MAX_SLUG} lower-case ASCII "
            "letters, digits and single hyphens, neither first nor last.",
        )
    return value


def check_permission(value: t.Any) -> str:
    if value not in PERMISSIONS:
        raise ShareError(400, f"permission must be one of {', '.join(PERMISSIONS)}; got {value!r}.")
    return t.cast(str, value)


def error_message(body: t.Any, fallback: str = "") -> str:
    """What a service of the hub says in an answer: the ``message`` of its JSON
    body (``{"message": ...}``, as the share registry and JupyterHub's own API
    write every refusal), given as the raw body or as read already; ``fallback``
    when there is none. Every client of them (the session's share provider and
    hub grants, the spawner hooks) reads their refusals with this."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body) if body else None
        except ValueError:
            body = None
    message = body.get("message") if isinstance(body, dict) else None
    return message if isinstance(message, str) and message else fallback


def is_within(path: str, root: str) -> bool:
    """Whether the (real, absolute) ``path`` is ``root`` or lies below it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


__all__ = [
    "MANAGER",
    "MANIFEST_ENV",
    "MAX_NAME",
    "MAX_SLUG",
    "MOUNT_ROOT_ENV",
    "PERMISSIONS",
    "READ_ONLY",
    "READ_WRITE",
    "REGISTRY_URL_ENV",
    "SLUG_RE",
    "ShareError",
    "check_permission",
    "check_slug",
    "error_message",
    "is_within",
    "slug_of",
]
