"""A scan of every log line the test run writes, for secrets.

Whatever any handler emits in this process (tornado's, jupyter_server's, ours,
the tests') and whatever the servers and hubs the tests start write to their log
files is looked through for a share link's token, a token in a URL or an
Authorization header, and the owner tokens the tests use. The run fails at its
end if one is found (conftest.py reports it).
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

from capella_share.linktoken import TOKEN_PATTERN

#: A share link's token.
LINK_TOKEN = re.compile(TOKEN_PATTERN)
#: A token given in a URL or a header, whatever its value, unless it was cut out.
TOKEN_IN_URL = re.compile(r"[?&]token=(?!\[secret\]|&|$|\s)([^&\s\"'<>\]]{8,})")
TOKEN_HEADER = re.compile(r"Authorization['\"]?: ['\"]?(?:token|bearer) (?!\[secret\])\S{8,}", re.I)

#: Tokens the tests give their servers, looked for as they are.
KNOWN: set[str] = set()

_lock = threading.Lock()
found: list[str] = []
_checked = 0


def check(text: str, where: str) -> None:
    """Record every secret in ``text`` (from ``where``)."""
    global _checked
    hits = [m[0] for m in LINK_TOKEN.finditer(text)]
    hits += [m[0] for m in TOKEN_IN_URL.finditer(text)]
    hits += [m[0] for m in TOKEN_HEADER.finditer(text)]
    hits += [token for token in KNOWN if token in text]
    with _lock:
        _checked += 1
        for hit in hits:
            if len(found) < 50:
                line = next((line for line in text.splitlines() if hit in line), text)
                found.append(f"{where}: {line.strip()[:300]}")


def check_file(path: Path, where: str) -> None:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return
    check(text, f"{where} ({path.name})")


def checked() -> int:
    return _checked


_FORMAT = logging.Formatter("%(name)s %(levelname)s %(message)s")
_handle = logging.Handler.handle


def _scanning_handle(self: logging.Handler, record: logging.LogRecord) -> bool:
    emitted = _handle(self, record)
    if emitted:
        try:
            text = _FORMAT.format(record)
        except Exception:
            text = str(record.msg)
        check(text, f"log record of {record.name}")
    return emitted


def install() -> None:
    """Look at every record any handler of this process emits."""
    logging.Handler.handle = _scanning_handle  # type: ignore[method-assign]
