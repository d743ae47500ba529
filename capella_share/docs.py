"""The README's permission table, made from the policy, so the two cannot disagree.

``python -m capella_share.docs`` rewrites the part of README.md between
``<!-- policy-table:start -->`` and ``<!-- policy-table:end -->``; with
``--check`` it only says whether that part is what the policy gives (exit 1 when
not). ``tests/server/test_docs.py`` runs the check.

Each resource of :data:`policy.TABLE` is said in plain words here, per action
(read, write, execute), or named in :data:`NOT_SHOWN` with why a user is not told
of it. A resource in neither fails the test: a new row of the policy needs words.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from . import policy
from .policy import EXECUTE, READ, WRITE, Level

START = "<!-- policy-table:start -->"
END = "<!-- policy-table:end -->"
REGENERATE = "python -m capella_share.docs"

#: resource -> action -> what a guest allowed it may do, in plain words ("": nothing
#: worth a word to a user). The same words on several resources are said once.
#: "own" is the words for a resource a guest may use only in a space of its own.
PLAIN: dict[str, dict[str, str]] = {
    "contents": {
        READ: "list, open and download files and see them update live",
        WRITE: "save, rename, delete and upload files",
    },
    "nbconvert": {
        READ: "list, open and download files and see them update live",
        WRITE: "save, rename, delete and upload files",
    },
    "trust": {WRITE: "trust notebooks"},
    "forks": {READ: "fork documents", WRITE: "fork documents"},
    "kernels": {
        READ: "see the running kernels",
        WRITE: "start and stop kernels",
        EXECUTE: "run code",
    },
    "sessions": {
        READ: "see the running kernels",
        WRITE: "start and stop kernels",
        EXECUTE: "run code",
    },
    "lsp": {EXECUTE: "use language servers"},
    "terminals": {READ: "use terminals", WRITE: "use terminals", EXECUTE: "use terminals"},
    "events": {WRITE: "send server events"},
    "config": {WRITE: "change the Lab's configuration, plugins or build"},
    "lab:plugins": {WRITE: "change the Lab's configuration, plugins or build"},
    "lab:build": {WRITE: "change the Lab's configuration, plugins or build"},
    "lab:extensions": {READ: "install Lab extensions", WRITE: "install Lab extensions"},
    "settings": {"own": "keep Lab settings and workspaces of their own"},
    "workspaces": {"own": "keep Lab settings and workspaces of their own"},
    "identity": {WRITE: "change the name others see"},
    "server": {WRITE: "shut down the server"},
    "capella-share:links": {READ: "manage links", WRITE: "manage links", EXECUTE: "manage links"},
    "capella-share:shares": {READ: "list project shares", WRITE: "make or delete project shares"},
}

#: resources a user is not told of, and why
NOT_SHOWN: dict[str, str] = {
    "kernelspecs": "which kernels can be started: every Lab page reads it",
    "api": "the server's version and status: every Lab page reads it",
    "csp": "browsers' reports of blocked content",
    "lab": "the Lab's pages, themes, translations and licenses",
    "public": "what anyone may reach, logged in or not (static files, login, logout)",
    "capella-share:session": "who the visitor is and what it may do, which its Lab reads",
}

_LEVELS = tuple(Level(permission) for permission in policy.LINK_PERMISSIONS)


def undescribed() -> list[str]:
    """The resources of the policy said neither in plain words nor as not shown."""
    return [
        resource
        for resource in policy.TABLE
        if not any(PLAIN.get(resource, {}).values()) and resource not in NOT_SHOWN
    ]


def _phrases(level: Level, allowed: bool) -> list[str]:
    """What ``level`` may (or may not) do, in plain words, in the policy's order."""
    found: list[str] = []
    for resource, levels in policy.TABLE.items():
        letters = levels[level]
        for action, words in PLAIN.get(resource, {}).items():
            if action == "own":
                ok = letters == "own"
            else:  # the policy's own answer ("own" is a space of the guest's, said apart)
                ok = letters != "own" and policy.allows(policy.Principal(level), action, resource)
            if words and ok == allowed and words not in found:
                found.append(words)
    return found


def rows() -> list[tuple[str, str, str]]:
    """(permission, may, may not) per link permission; a level's "may not" names
    what a higher level may, and what no guest may is said once (:func:`owner_only`)."""
    table = []
    below: list[str] = []
    highest = _phrases(_LEVELS[-1], True)
    for index, level in enumerate(_LEVELS):
        allowed = _phrases(level, True)
        may = [p for p in allowed if p not in below]
        if index:
            may.insert(0, f"what {_LEVELS[index - 1].value} may")
        may_not = [p for p in highest if p not in allowed]
        may_not.append("what only the owner may")
        table.append((level.value, "; ".join(may), "; ".join(may_not)))
        below = allowed
    return table


def owner_only() -> list[str]:
    """What no guest may do, whatever its link's permission."""
    return [p for p in _phrases(_LEVELS[-1], False) if p not in _phrases(_LEVELS[-1], True)]


def markdown_table(header: tuple[str, ...], body: Sequence[tuple[str, ...]]) -> str:
    """A markdown table padded as prettier writes it."""
    widths = [max(3, *(len(row[i]) for row in [header, *body])) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    dashes = tuple("-" * w for w in widths)
    return "\n".join([line(header), line(dashes), *(line(row) for row in body)])


def permission_table() -> str:
    table = markdown_table(("permission", "may", "may not"), rows())
    return f"{table}\n\nOnly the owner may {'; '.join(owner_only())}."


def with_table(text: str) -> str:
    """``text`` (the README) with its marked part made from the policy."""
    start, end = text.index(START) + len(START), text.index(END)
    return f"{text[:start]}\n\n{permission_table()}\n\n{text[end:]}"


README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if missing := undescribed():
        print(f"say these resources of the policy in capella_share/docs.py: {missing}")
        return 1
    text = README.read_text()
    if "--check" in args:
        if with_table(text) != text:
            print(f"README.md's permission table is not the policy's: run {REGENERATE}")
            return 1
        return 0
    README.write_text(with_table(text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
