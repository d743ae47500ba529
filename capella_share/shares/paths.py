"""Contents paths: the forms refused before any file is looked at.

jupyter_server keeps paths inside the root directory, but takes the rest as it
comes: ``share/../x.txt`` writes beside the share, ``share/..`` saved as a file
is a 500, a name longer than the filesystem allows is a 500, and a name that is
still percent-encoded (``%2e%2e``) is a trap for whatever decodes it once more.
Every path the contents manager is given is checked here first, and refused with
a 400 that says what is wrong.

How strict depends on what the path is for:

- ``READ``: only what can never name a file (``.``/``..`` parts, empty parts,
  NUL, too long). A folder listing reads each of its entries, and one odd entry
  made from a terminal must not break the listing.
- ``CHANGE`` (delete, move from, checkpoints): also backslashes and names that
  are a path once percent-decoded.
- ``CREATE`` (save, new, copy to, move to): also names that would fool people or
  other systems: control and bidirectional-override characters, and a trailing
  dot or space (which Windows and SMB shares drop, so ``share.`` is ``share``).
"""

from __future__ import annotations

import functools
import os
import typing as t
import unicodedata
import urllib.parse

from tornado import web

from .. import policy, scope, upstream

READ, CHANGE, CREATE = "read", "change", "create"

#: Longest name and path (in bytes) a Linux filesystem takes.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4096
#: How many times a name is percent-decoded looking for a hidden path.
DECODE_ROUNDS = 4
#: Characters that reorder how a name is shown ("txt.exe" shown as "exe.txt").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:77] + "...")


def _refuse(value: str, why: str) -> t.NoReturn:
    raise web.HTTPError(400, f"The path {_shown(value)} cannot be used: {why}.")


def _decodes_to_a_path(name: str) -> bool:
    """Whether percent-decoding ``name`` (again and again) gives ``.``, ``..`` or a separator."""
    for _ in range(DECODE_ROUNDS):
        decoded = urllib.parse.unquote(name, errors="surrogateescape")
        if decoded == name:
            return False
        name = decoded
        if name in (".", "..") or any(char in name for char in "/\\\x00"):
            return True
    return False


def check_path(value: t.Any, use: str = READ) -> str:
    """``value`` if it is a usable contents path for ``use``; a 400 saying why not."""
    if not isinstance(value, str):
        raise web.HTTPError(
            400, f"A path must be a string, not {type(value).__name__} ({_shown(str(value))})."
        )
    try:
        encoded = os.fsencode(value)
    except UnicodeEncodeError:
        _refuse(value, "it is not valid text (an unpaired surrogate)")
    if len(encoded) > MAX_PATH_BYTES:
        _refuse(value, f"it is longer than {MAX_PATH_BYTES} bytes")
    if "\x00" in value:
        _refuse(value, "it holds a NUL character")
    stripped = value.strip("/")
    if not stripped:
        return stripped
    for name in stripped.split("/"):
        if name in ("", ".", ".."):
            _refuse(
                value, "paths are relative to the server's root, without empty, '.' or '..' parts"
            )
        if len(os.fsencode(name)) > MAX_NAME_BYTES:
            _refuse(value, f"a name in it is longer than {MAX_NAME_BYTES} bytes")
        if use == READ:
            continue
        if "\\" in name:
            _refuse(value, "it holds a backslash; separate folders with '/'")
        if _decodes_to_a_path(name):
            _refuse(value, "a name in it is a percent-encoded '.', '..' or separator")
        if use != CREATE:
            continue
        if any(unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS for char in name):
            _refuse(value, "a name in it holds control or text-direction characters")
        if name[-1] in ". ":
            _refuse(value, "a name in it ends with a dot or a space; remove it")
    return stripped


@functools.cache
def path_checked_files_handler(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``cls`` (a handler of ``files/<path>``) checking its path as the contents
    manager does. jupyter_server's file-system ``files`` handler serves from disk
    without asking the contents manager, and answers a NUL with a 500."""
    if not issubclass(cls, web.StaticFileHandler):
        return cls  # it reads through the contents manager, which checks the path

    class PathCheckedFileHandler(cls):  # type:ignore[valid-type,misc]
        def parse_url_path(self, url_path: str) -> str:
            scope.checked(check_path(url_path, READ), policy.READ, getattr(self, "root", None))
            return t.cast(str, super().parse_url_path(url_path))

    # the route guard knows handlers by module and name: this is still that handler
    return upstream.named_as(PathCheckedFileHandler, cls)


__all__ = ["CHANGE", "CREATE", "READ", "check_path", "path_checked_files_handler"]
