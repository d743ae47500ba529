"""What a guest authors is never trusted for anyone else.

Jupyter runs a notebook's HTML and JavaScript outputs, in the Lab's own origin
(which holds the owner's credentials), when the notebook is *trusted*: when its
signature is in the server's signature store, or when the Lab's model of a cell
says so. Three ways a guest could make the owner's browser run its script:

- **saving** a notebook whose code cells say ``metadata.trusted: true``: the
  contents manager signs it on save (``check_and_sign``);
- **asking** the server to trust it (``POST api/contents/<path>/trust``);
- **changing the live document** (RTC): inserting a cell that says it is trusted,
  or outputs into a cell that another client already trusts. JupyterLab reads a
  cell's ``trusted`` once, when it makes the cell's model, and renders every
  output that reaches that model later with the same trust.

Signing and trusting belong to whoever the policy lets write ``trust`` (the
owner): :class:`TrustGuardMixin`, put in front of the contents manager, signs for
nobody else and refuses ``trust_notebook`` to anybody else. In a shared document,
:class:`DocumentTrust` tries each of a guest's updates on a shadow of the room's
document first and rewrites it, in the same update, so that no cell it touched is
trusted for anyone: a cell it inserted or marked trusted says ``trusted: false``,
and a trusted cell whose outputs it changed is replaced by an untrusted copy (a
new cell, whose model every client makes anew, untrusted). The owner's own
outputs stay trusted, and the owner may still trust a notebook deliberately.
"""

from __future__ import annotations

import time
import typing as t
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from tornado import web

from . import policy, upstream, yjs
from .identity import principal_of
from .principal import current_principal
from .settings import TRUST_NOTES_SETTING

#: Why a guest may not trust a notebook, for the 403.
TRUST_REFUSED = (
    "Only the session's owner may trust a notebook: trusting runs its HTML and "
    "JavaScript outputs in the owner's browser."
)


def may_trust(principal: policy.Principal) -> bool:
    """Whether what ``principal`` writes may be trusted (signed) for everyone."""
    return policy.allows(principal, policy.WRITE, "trust")


@dataclass(frozen=True)
class GuestWrite:
    """A guest's writing that made a notebook's outputs untrusted."""

    link_id: str
    #: the link's label then ("" if none)
    label: str
    at: float

    def to_model(self) -> dict[str, t.Any]:
        from .links import isoformat

        moment = datetime.fromtimestamp(self.at, timezone.utc)
        return {"link": self.link_id, "label": self.label or None, "at": isoformat(moment)}


class TrustNotes:
    """Which notebooks guests wrote so that their outputs are untrusted, so the
    owner's Lab can say why (the most recent ``limit`` notebooks, in memory)."""

    def __init__(self, links: t.Any, limit: int = 1000):
        self.links = links
        self.limit = limit
        self._notes: OrderedDict[tuple[str, str], list[GuestWrite]] = OrderedDict()

    def note(self, kind: str, key: str, principal: policy.Principal) -> None:
        """A guest of ``principal``'s link wrote the notebook at path (kind
        "path") or in the document room (kind "room") ``key``."""
        writes = self._notes.pop((kind, key), [])
        writes = [w for w in writes if w.link_id != principal.link_id][-9:]
        link = self.links.get(principal.link_id) if principal.link_id else None
        label = getattr(link, "label", "") or ""
        writes.append(GuestWrite(principal.link_id or "", label, time.time()))
        self._notes[kind, key] = writes
        while len(self._notes) > self.limit:
            self._notes.popitem(last=False)

    def writes(self, path: str, rooms: t.Iterable[str] = ()) -> list[GuestWrite]:
        """The guests' writes of the notebook at ``path`` (saved, or changed live
        in one of ``rooms``), oldest first."""
        found = list(self._notes.get(("path", path), []))
        for room in rooms:
            found += self._notes.get(("room", room), [])
        return sorted(found, key=lambda write: write.at)


class TrustGuardMixin:
    """Contents manager mixin: notebooks are signed for the owner only."""

    #: Set by the server extension: where guests' unsigned saves are noted.
    trust_notes: TrustNotes | None = None

    def check_and_sign(self, nb: t.Any, path: str = "", **kwargs: t.Any) -> None:
        principal = current_principal()
        if not may_trust(principal):
            if self.trust_notes is not None:
                self.trust_notes.note("path", path.strip("/"), principal)
            # stored unsigned whatever its cells say: the owner sees its outputs untrusted
            self.log.info(  # type:ignore[attr-defined]
                "capella-share: %s is saved unsigned: a guest of link %s wrote it",
                path,
                principal.link_id,
            )
            return
        super().check_and_sign(nb, path, **kwargs)  # type:ignore[misc]

    def trust_notebook(self, path: str) -> t.Any:
        if not may_trust(current_principal()):
            raise web.HTTPError(403, TRUST_REFUSED)
        return super().trust_notebook(path)  # type:ignore[misc]


class _Touched:
    """What one transaction changed of a notebook's cells, by cell index."""

    def __init__(self) -> None:
        self.inserted: set[int] = set()
        self.outputs: set[int] = set()
        self.trust: set[int] = set()
        #: cell ids a transaction gave a cell in place of these
        self.renamed: list[tuple[t.Any, t.Any]] = []

    def __bool__(self) -> bool:
        return bool(self.inserted or self.outputs or self.trust)

    def add(self, events: list[t.Any]) -> None:
        for event in events:
            path = list(getattr(event, "path", []))
            if not path:  # the cells array itself: cells inserted
                index = 0
                for change in getattr(event, "delta", []):
                    if "retain" in change:
                        index += change["retain"]
                    elif "insert" in change:
                        count = len(change["insert"])
                        self.inserted.update(range(index, index + count))
                        index += count
                continue
            index = path[0]
            if not isinstance(index, int):
                continue
            if len(path) == 1:  # the cell's own keys
                keys = getattr(event, "keys", {})
                if "outputs" in keys:
                    self.outputs.add(index)
                if "metadata" in keys:
                    self.trust.add(index)
                if "id" in keys:
                    change = keys["id"]
                    self.renamed.append((change.get("oldValue"), change.get("newValue")))
            elif path[1] == "outputs":
                self.outputs.add(index)
            elif path[1] == "metadata" and "trusted" in getattr(event, "keys", {}):
                self.trust.add(index)


class DocumentTrust:
    """A notebook room's guard against guests' trusted content.

    It keeps a shadow of the room's document (every update the room applies is
    applied to it too). A guest's update is applied to the shadow first, where the
    cells it touched are seen; if any of them would be trusted, the corrections
    are made on the shadow as well and the room receives one update holding both,
    so no client ever applies the guest's change without them.
    """

    def __init__(self, room_doc: t.Any):
        self._room = weakref.ref(room_doc)
        self._start(room_doc)

    def _start(self, room_doc: t.Any) -> None:
        from pycrdt import Doc

        self.shadow: Doc[t.Any] = Doc()
        self.shadow.apply_update(room_doc.get_update())
        self._cells = upstream.notebook_cells(self.shadow)
        #: ids of cells whose models a client may hold as trusted
        self.trusted_ids: set[t.Any] = set()
        self._touched: _Touched | None = None
        for cell in self._cells:
            self._note_trusted(cell)
        self._cells.observe_deep(self._changed)
        self._subscription = room_doc.observe(self._follow)

    # -- following the room --------------------------------------------------------------
    def _follow(self, event: t.Any) -> None:
        """Whatever the room applies (the owner's changes, ours, a reload from disk)."""
        self._touched = _Touched()
        try:
            self.shadow.apply_update(event.update)
            touched = self._touched
        finally:
            self._touched = None
        for index in touched.inserted | touched.trust:
            if index < len(self._cells):
                self._note_trusted(self._cells[index])
        self._renamed(touched)

    def _changed(self, events: list[t.Any]) -> None:
        if self._touched is not None:
            self._touched.add(events)

    def _note_trusted(self, cell: t.Any) -> None:
        if upstream.cell_trusted(cell):
            self.trusted_ids.add(upstream.cell_id(cell))

    def _renamed(self, touched: _Touched) -> None:
        # a cell given another id is the same cell to the clients' models
        for old, new in touched.renamed:
            if old in self.trusted_ids:
                self.trusted_ids.add(new)

    # -- a guest's update ----------------------------------------------------------------
    def guest_update(self, update: bytes) -> bytes | None:
        """``update`` as the room may apply it (the guest's own, or one that also
        holds the corrections); None to drop it: it depends on changes nobody has
        sent (it would be applied later, unseen, with someone else's change)."""
        before = self.shadow.get_state()
        self._touched = _Touched()
        try:
            self.shadow.apply_update(update)
            touched = self._touched
        finally:
            self._touched = None
        if not self._complete(update):
            self._reshadow()
            return None
        self._renamed(touched)
        if not touched or not self._correct(touched):
            return update
        return self.shadow.get_update(before)

    def _correct(self, touched: _Touched) -> bool:
        """Untrust on the shadow every cell ``touched`` says the guest made or
        changed so that it would be trusted; whether anything was changed."""
        changed = False
        count = len(self._cells)
        with self.shadow.transaction():
            for index in sorted(touched.inserted | touched.outputs | touched.trust):
                if index >= count:
                    continue
                cell = self._cells[index]
                inserted = index in touched.inserted
                # a cell the guest did not make, that a client's model may hold as
                # trusted (JupyterLab reads a cell's trust once, when it makes the model)
                known = not inserted and upstream.cell_id(cell) in self.trusted_ids
                if known and index in touched.outputs:
                    # only a new cell's model is made untrusted
                    upstream.replace_cell_untrusted(self._cells, index)
                    self.trusted_ids.discard(upstream.cell_id(self._cells[index]))
                    changed = True
                elif not known and upstream.cell_trusted(cell):
                    upstream.untrust_cell(cell)
                    changed = True
        return changed

    def _complete(self, update: bytes) -> bool:
        """Whether the shadow now holds every struct ``update`` carries: a struct
        that waits for one nobody sent would be applied later, unseen, within
        whoever's change sends it (someone's predictable next change)."""
        try:
            wanted = yjs.update_clocks(update)
            held = yjs.state_vector(self.shadow.get_state())
        except (ValueError, UnicodeDecodeError):
            return False
        return all(held.get(client, 0) >= end for client, (_, end) in wanted.items())

    def _reshadow(self) -> None:
        """Start the shadow again from the room, without what it could not apply."""
        room = self._room()
        if room is None:
            return
        room.unobserve(self._subscription)
        self._start(room)


#: room document -> its trust guard (gone with the room)
_GUARDS: weakref.WeakKeyDictionary[t.Any, DocumentTrust] = weakref.WeakKeyDictionary()


def guest_message(handler: t.Any, message: bytes) -> bytes | None:
    """A guest's document message as its room may receive it: a notebook's sync
    update rewritten so that nothing the guest changed is trusted (None: drop
    it). Other messages are returned as they are."""
    update = yjs.sync_update(message)
    if update is None:
        return message
    room_id = upstream.room_of(handler)
    if upstream.document_of_fork(room_id) != room_id:
        # a fork is merged into its document unseen: a guest writes in none
        return None
    if upstream.room_document_type(room_id) != "notebook":
        return message
    room_doc = upstream.room_ydoc(handler)
    if room_doc is None:
        return None  # no room to judge it against: nothing reaches anyone
    guard = _GUARDS.get(room_doc)
    if guard is None:
        guard = _GUARDS[room_doc] = DocumentTrust(room_doc)
    rewritten = guard.guest_update(update)
    if rewritten is None:
        return None
    if rewritten is update:
        return message
    notes = handler.settings.get(TRUST_NOTES_SETTING)
    if isinstance(notes, TrustNotes):
        notes.note("room", room_id, principal_of(handler.current_user))
    return yjs.update_message(rewritten)
