"""The form of a share-link token, ``csl_<link id>_<secret>``, defined once.

:mod:`.links` makes and reads tokens, :mod:`.redact` cuts them out of responses and
log lines (and so out of the activity trail, which goes through its filter), and
the share registry service checks the link ids in the trails servers send. All of
them take the form from here. This module imports nothing of capella-share or of
Jupyter: the hub side uses it too.
"""

from __future__ import annotations

import re
import secrets

#: Every link token starts with this, so a link token is told apart from the
#: server's own token without a look-up (and a stale one is refused, not retried).
TOKEN_PREFIX = "csl_"  # noqa: S105 - a prefix, not a secret
#: A link's id: random bytes, in lower-case hex.
ID_BYTES = 6
ID_LENGTH = 2 * ID_BYTES
#: The secret after the id: random bytes, in URL-safe base64 without padding.
SECRET_BYTES = 32
SECRET_LENGTH = 43
#: The length of a whole token.
TOKEN_LENGTH = len(TOKEN_PREFIX) + ID_LENGTH + 1 + SECRET_LENGTH

_ID = rf"[0-9a-f]{{{ID_LENGTH}}}"
_SECRET = rf"[A-Za-z0-9_-]{{{SECRET_LENGTH}}}"
#: A token anywhere in a text; group 1 is the link id, group 2 the secret.
TOKEN_PATTERN = rf"{TOKEN_PREFIX}({_ID})_({_SECRET})"

#: A whole link token.
TOKEN_RE = re.compile(rf"^{TOKEN_PATTERN}$")
#: A link token anywhere in bytes (a response, a log line).
TOKEN_IN_BYTES = re.compile(TOKEN_PATTERN.encode("ascii"))
#: A link's id alone (in URLs and in the activity trail).
LINK_ID_RE = re.compile(rf"^{_ID}$")


def new_link_id() -> str:
    return secrets.token_hex(ID_BYTES)


def new_token(link_id: str) -> str:
    """A new token of the link ``link_id``."""
    return f"{TOKEN_PREFIX}{link_id}_{secrets.token_urlsafe(SECRET_BYTES)}"


__all__ = [
    "ID_LENGTH",
    "LINK_ID_RE",
    "SECRET_LENGTH",
    "TOKEN_IN_BYTES",
    "TOKEN_LENGTH",
    "TOKEN_PATTERN",
    "TOKEN_PREFIX",
    "TOKEN_RE",
    "new_link_id",
    "new_token",
]
