"""Whether guests may come in: one switch, with every reason it is closed.

Anything that finds guests could not be held to the policy closes the gate with
its reason: the server still starting, an upstream shape that moved
(:mod:`.upstream`), a manager that is not ours (wiring), code that could not be
contained (:mod:`.sandbox`). A reason may close it for every guest or only for
some levels (guests who run code). Every way in asks the gate: a link's token
and login cookie, a hub grant, the proxy's auth-check, and the making of links
and grants, which are refused with the reasons.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from .policy import LINK_PERMISSIONS
from .settings import GATE_SETTING

#: Why guests are refused before any gate exists (the extension is not loaded yet).
NO_GATE = "Guest access is not open on this server."


@dataclass(frozen=True)
class Closure:
    reason: str
    levels: frozenset[str]


class GuestGate:
    """The reasons guests are refused, by what found them."""

    def __init__(self) -> None:
        self._closures: dict[str, Closure] = {}

    def close(self, key: str, reason: str, levels: t.Iterable[str] = LINK_PERMISSIONS) -> None:
        """Refuse guests of ``levels`` (every guest by default) for ``reason``,
        until :meth:`open` is called with the same ``key``."""
        self._closures[key] = Closure(reason, frozenset(levels))

    def open(self, key: str) -> None:
        self._closures.pop(key, None)

    def reason(self, key: str) -> str:
        """Why ``key`` closed the gate ("" if it did not)."""
        closure = self._closures.get(key)
        return "" if closure is None else closure.reason

    def refusal(self, level: str | None = None) -> str:
        """Why a guest of ``level`` is refused ("" when it may come in); without a
        level, why every guest is (what stops guests whatever their link)."""
        every = frozenset(LINK_PERMISSIONS)
        reasons = [
            closure.reason
            for closure in self._closures.values()
            if (closure.levels >= every if level is None else level in closure.levels)
        ]
        return " ".join(reasons)

    def closed_levels(self) -> dict[str, str]:
        """Each level some guests of which are refused -> why."""
        return {level: why for level in LINK_PERMISSIONS if (why := self.refusal(level))}


def gate_of(settings: t.Mapping[str, t.Any]) -> GuestGate | None:
    gate = settings.get(GATE_SETTING)
    return gate if isinstance(gate, GuestGate) else None


def refusal(settings: t.Mapping[str, t.Any], level: str | None = None) -> str:
    """Why a guest (of ``level``) may not come in on the server of ``settings``;
    without a gate (the extension not loaded), no guest may."""
    gate = gate_of(settings)
    return NO_GATE if gate is None else gate.refusal(level)
