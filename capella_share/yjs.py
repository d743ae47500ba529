"""Yjs' wire forms, read strictly: what a document websocket carries.

A message is a lib0 var-uint type (sync 0, awareness 1, jupyter-collaboration's
own 2) followed by its body; a sync message has a step (1: request, 2: state, 3:
update) and, for the last two, a document update as a var-length byte string.
pycrdt's Decoder reads past the end of a buffer; these readers refuse anything
that is not exactly one well-formed message.
"""

from __future__ import annotations

import typing as t

#: Yjs message types (the first var-uint of a message) and sync steps (the second).
SYNC, AWARENESS, RAW = 0, 1, 2
SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE = 0, 1, 2


class Reader:
    """A strict reader of Yjs' lib0 encoding."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        value = shift = 0
        while shift <= 63:
            if self.pos >= len(self.data):
                raise ValueError("truncated var-uint")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
        raise ValueError("var-uint too long")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise ValueError("truncated var-string")
        chunk, self.pos = self.data[self.pos : end], end
        return chunk

    @property
    def done(self) -> bool:
        return self.pos == len(self.data)


def message_kind(message: t.Any) -> tuple[int, int | None] | None:
    """(type, sync step or None) of a Yjs message; None when it cannot be read
    (a sync message cut before its step included)."""
    if not isinstance(message, bytes | bytearray | memoryview) or not message:
        return None
    reader = Reader(bytes(message))
    try:
        kind = reader.var_uint()
        return (kind, reader.var_uint() if kind == SYNC else None)
    except ValueError:
        return None


def sync_update(message: bytes) -> bytes | None:
    """The document update a sync step 2 or update message carries; None if
    ``message`` is no such message, or is not exactly one."""
    reader = Reader(bytes(message))
    try:
        if reader.var_uint() != SYNC or reader.var_uint() not in (SYNC_STEP2, SYNC_UPDATE):
            return None
        update = reader.var_bytes()
    except ValueError:
        return None
    return update if reader.done else None


def update_message(update: bytes) -> bytes:
    """A sync update message carrying ``update``."""
    return bytes([SYNC, SYNC_UPDATE]) + _var_uint(len(update)) + update


def state_vector(encoded: bytes) -> dict[int, int]:
    """A document state vector (client id -> the clock it has reached)."""
    reader = Reader(bytes(encoded))
    clocks = {}
    for _ in range(reader.var_uint()):
        client = reader.var_uint()
        clocks[client] = reader.var_uint()
    if not reader.done:
        raise ValueError("bytes after the state vector")
    return clocks


#: Item content kinds (the low five bits of a struct's info byte) -> how to skip
#: their body; each returns the clock length the content takes.
_GC, _SKIP = 0, 10
_BIT6, _BIT7, _BIT8 = 0x20, 0x40, 0x80


def update_clocks(update: bytes) -> dict[int, tuple[int, int]]:
    """For each client an update (v1) carries structs of: the clock its structs
    start at and the clock after the last one. ValueError for anything that is
    not a well-formed update (or holds content kinds Yjs clients do not send)."""
    reader = Reader(bytes(update))
    ranges: dict[int, tuple[int, int]] = {}
    for _ in range(reader.var_uint()):
        count = reader.var_uint()
        client = reader.var_uint()
        start = clock = reader.var_uint()
        for _ in range(count):
            clock += _struct_length(reader)
        ranges[client] = (start, clock)
    return ranges


def _struct_length(reader: Reader) -> int:
    if reader.pos >= len(reader.data):
        raise ValueError("truncated struct")
    info = reader.data[reader.pos]
    reader.pos += 1
    kind = info & 0x1F
    if kind in (_GC, _SKIP):
        return reader.var_uint()
    if info & _BIT8:  # origin
        reader.var_uint(), reader.var_uint()
    if info & _BIT7:  # right origin
        reader.var_uint(), reader.var_uint()
    if not info & (_BIT7 | _BIT8):
        if reader.var_uint() == 1:  # parent: a root type's name
            reader.var_bytes()
        else:  # parent: an item's id
            reader.var_uint(), reader.var_uint()
        if info & _BIT6:  # the key in a map
            reader.var_bytes()
    return _content_length(reader, kind)


def _content_length(reader: Reader, kind: int) -> int:
    if kind == 1:  # deleted
        return reader.var_uint()
    if kind == 2:  # JSON values
        count = reader.var_uint()
        for _ in range(count):
            reader.var_bytes()
        return count
    if kind == 3:  # binary
        reader.var_bytes()
        return 1
    if kind == 4:  # string: its length in UTF-16 code units
        text = reader.var_bytes().decode("utf-8")
        return len(text.encode("utf-16-le")) // 2
    if kind == 5:  # embed
        reader.var_bytes()
        return 1
    if kind == 6:  # format
        reader.var_bytes(), reader.var_bytes()
        return 1
    if kind == 7:  # a shared type
        if reader.var_uint() in (3, 5):  # XmlElement, XmlHook: their name
            reader.var_bytes()
        return 1
    if kind == 8:  # any values
        count = reader.var_uint()
        for _ in range(count):
            _skip_any(reader)
        return count
    if kind == 9:  # a subdocument
        reader.var_bytes()
        _skip_any(reader)
        return 1
    raise ValueError(f"unknown content kind {kind}")


def _skip_any(reader: Reader, depth: int = 0) -> None:
    """Skip one lib0 "any" value."""
    if depth > 100:
        raise ValueError("values nested too deep")
    if reader.pos >= len(reader.data):
        raise ValueError("truncated value")
    tag = reader.data[reader.pos]
    reader.pos += 1
    if tag in (127, 126, 121, 120):  # undefined, null, false, true
        return
    if tag == 125:  # var-int
        while True:
            if reader.pos >= len(reader.data):
                raise ValueError("truncated var-int")
            byte = reader.data[reader.pos]
            reader.pos += 1
            if byte < 0x80:
                return
    elif tag in (124, 123, 122):  # float32, float64, bigint64
        size = 4 if tag == 124 else 8
        if reader.pos + size > len(reader.data):
            raise ValueError("truncated number")
        reader.pos += size
    elif tag in (119, 116):  # string, bytes
        reader.var_bytes()
    elif tag == 118:  # object
        for _ in range(reader.var_uint()):
            reader.var_bytes()
            _skip_any(reader, depth + 1)
    elif tag == 117:  # array
        for _ in range(reader.var_uint()):
            _skip_any(reader, depth + 1)
    else:
        raise ValueError(f"unknown value tag {tag}")


def _var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
