"""No response to anyone but the owner carries a secret.

jupyter_server and its extensions render the owner's token into pages for any
logged-in visitor (``page.html``'s ``data-jupyter-api-token``, behind every 404 and
error page), and more such places may appear upstream at any time. Instead of
cleaning each page, every response passes through one output transform: unless the
request was authenticated as the owner, the owner's token, the JupyterHub API
token, the cookie secret and anything shaped like a share-link token are cut from
its headers and body. A page rendered for a guest thus carries an empty token, as
it would for a visitor of a server without one.

Log lines get the same care, for whoever reads the logs: tornado logs the full
URI of a request that failed (``?token=`` included), and any logger may be handed
a URL or a header. Every log record made in the process, by any logger and at any
level, has the secrets of every running server cut out as it is made
(:func:`redact_logs`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import html
import json
import logging
import os
import traceback
import typing as t
import urllib.parse
import weakref

from tornado.httputil import HTTPHeaders, HTTPServerRequest
from tornado.web import OutputTransform

from .linktoken import TOKEN_IN_BYTES, TOKEN_LENGTH, TOKEN_PREFIX
from .request_marks import request_principal

#: Environment variables that hold a JupyterHub API token in a single-user server.
HUB_TOKEN_VARIABLES = ("JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN")

#: Secrets shorter than this are not looked for: they would match ordinary text.
MIN_SECRET = 8

#: A share-link token (see :mod:`.linktoken`): never sent back to a guest, its
#: own included, since only its hash is kept and nothing needs to echo it.
LINK_TOKEN = TOKEN_IN_BYTES
_LINK_PREFIX = TOKEN_PREFIX.encode("ascii")


def _text_forms(secret: str) -> set[bytes]:
    """The ways a text secret can appear in a response: as is, URL-encoded,
    escaped inside JSON or HTML."""
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        urllib.parse.quote_plus(secret),
        json.dumps(secret)[1:-1],
        html.escape(secret),
    }
    return {form.encode("utf-8") for form in forms}


def _bytes_forms(secret: bytes) -> set[bytes]:
    """The ways a binary secret (the cookie secret) can appear: as stored, in hex
    and in base64, and what it decodes to when it is itself base64."""
    raw = secret.strip()
    forms = {raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)}
    try:
        decoded = base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        decoded = b""
    if decoded:
        forms |= {decoded, decoded.hex().encode()}
    forms |= {form.rstrip(b"=") for form in forms}
    return forms


class SecretRedactor:
    """Finds and cuts a fixed set of secrets (and any link token) out of bytes."""

    def __init__(self, texts: t.Iterable[str | None] = (), binaries: t.Iterable[bytes] = ()):
        forms: set[bytes] = set()
        for text in texts:
            if text and len(text) >= MIN_SECRET:
                forms |= _text_forms(text)
        for binary in binaries:
            if binary and len(binary.strip()) >= MIN_SECRET:
                forms |= _bytes_forms(binary)
        #: longest first, so a form that contains another is cut whole
        self.forms = sorted((f for f in forms if len(f) >= MIN_SECRET), key=len, reverse=True)
        self.longest = max([len(f) for f in self.forms] + [TOKEN_LENGTH])

    @classmethod
    def for_server(cls, serverapp: t.Any) -> SecretRedactor:
        """The secrets of this server: its token, the hub's API token, the cookie secret."""
        identity = getattr(serverapp, "identity_provider", None)
        texts = [getattr(identity, "token", None)]
        texts += [os.environ.get(name) for name in HUB_TOKEN_VARIABLES]
        cookie_secret = serverapp.web_app.settings.get("cookie_secret") or b""
        if isinstance(cookie_secret, str):
            cookie_secret = cookie_secret.encode("utf-8")
        return cls(texts, [cookie_secret])

    def holds_secret(self, data: bytes) -> bool:
        return any(form in data for form in self.forms) or (
            _LINK_PREFIX in data and LINK_TOKEN.search(data) is not None
        )

    def cut(self, data: bytes, keep_length: bool = False, marker: bytes = b"") -> bytes:
        """``data`` without any secret, each replaced by ``marker``; with
        ``keep_length``, overwritten with ``*`` instead (for a response whose
        length is already announced)."""
        for form in self.forms:
            if form in data:
                data = data.replace(form, b"*" * len(form) if keep_length else marker)
        if _LINK_PREFIX in data:
            data = LINK_TOKEN.sub((lambda m: b"*" * len(m[0])) if keep_length else marker, data)
        return data


class RedactingTransform(OutputTransform):
    """The output transform that applies a :class:`SecretRedactor` to every
    response not authenticated as the owner. Made per server by :func:`transform_for`."""

    redactor: SecretRedactor

    def __init__(self, request: HTTPServerRequest):
        self.request = request
        self.active = True
        self.carry = b""

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        # By the first byte sent, the request has been authenticated, if at all.
        principal = request_principal(self.request)
        self.active = principal is None or not principal.is_owner
        if not self.active:
            return status_code, headers, chunk
        self._clean_headers(headers)
        if not finishing:
            return status_code, headers, self.transform_chunk(chunk, finishing)
        cleaned = self.redactor.cut(chunk)
        if len(cleaned) != len(chunk) and "Content-Length" in headers:
            headers["Content-Length"] = str(len(cleaned))
        return status_code, headers, cleaned

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        """A streamed response: its length may be announced, so secrets are
        overwritten, and the tail of each chunk waits for the next one in case a
        secret straddles the two."""
        if not self.active:
            return chunk
        data = self.redactor.cut(self.carry + chunk, keep_length=True)
        if finishing:
            self.carry = b""
            return data
        split = max(0, len(data) - (self.redactor.longest - 1))
        self.carry = data[split:]
        return data[:split]

    def _clean_headers(self, headers: HTTPHeaders) -> None:
        dirty = {
            name
            for name, value in headers.get_all()
            if self.redactor.holds_secret(value.encode("latin-1", "replace"))
        }
        for name in dirty:
            values = headers.get_list(name)
            del headers[name]
            for value in values:
                cleaned = self.redactor.cut(value.encode("latin-1", "replace"))
                headers.add(name, cleaned.decode("latin-1"))


def transform_for(redactor: SecretRedactor) -> type[RedactingTransform]:
    """The transform class to put first in ``Application.transforms``."""
    return type("RedactingTransform", (RedactingTransform,), {"redactor": redactor})


#: What stands in a log line where a secret was.
LOG_MARKER = b"[secret]"

#: The redactors of the servers running in this process (tests run several).
_LOG_REDACTORS: weakref.WeakSet[SecretRedactor] = weakref.WeakSet()
_record_factory: t.Callable[..., logging.LogRecord] | None = None


def redact_logs(redactor: SecretRedactor) -> None:
    """Cut ``redactor``'s secrets, and any link token, from every log record
    made from now on, until :func:`stop_redacting_logs`."""
    global _record_factory
    _LOG_REDACTORS.add(redactor)
    if _record_factory is None:
        _record_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_redacted_record)


def stop_redacting_logs(redactor: SecretRedactor) -> None:
    _LOG_REDACTORS.discard(redactor)


def _redacted_record(*args: t.Any, **kwargs: t.Any) -> logging.LogRecord:
    assert _record_factory is not None
    record = _record_factory(*args, **kwargs)
    # a record that cannot be formatted is its handler's to report
    with contextlib.suppress(Exception):
        _clean_record(record)
    return record


def _clean_text(text: str) -> str:
    data = text.encode("utf-8", "surrogateescape")
    cleaned = data
    for redactor in list(_LOG_REDACTORS):
        cleaned = redactor.cut(cleaned, marker=LOG_MARKER)
    if _LINK_PREFIX in cleaned:  # a link token, with or without a server running
        cleaned = LINK_TOKEN.sub(LOG_MARKER, cleaned)
    return text if cleaned == data else cleaned.decode("utf-8", "surrogateescape")


def _clean_record(record: logging.LogRecord) -> None:
    """The record's message, traceback and stack formatted now, without secrets
    (a formatter then uses them as they are)."""
    message = record.getMessage()
    cleaned = _clean_text(message)
    if cleaned is not message:
        record.msg, record.args = cleaned, ()
    if record.exc_info and not record.exc_text:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = _clean_text(text)
    if record.stack_info:
        record.stack_info = _clean_text(record.stack_info)
