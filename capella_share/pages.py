"""The page a guest's browser gets instead of a Lab it may no longer open.

Without it, a guest whose link was revoked, expired or forgotten (a restart)
who reloads lands on Jupyter's login page, which asks for the server's token
and speaks of ``jupyter server list``: nothing says the link ended or whom to ask.
"""

from __future__ import annotations

import html

_WHY = {
    "revoked": "The owner of this session revoked the link you came in with.",
    "expired": "The link you came in with has expired.",
    "removed": "What the link you came in with shared was deleted, so the link ended.",
    "unknown": (
        "The link you came in with is not valid here any more: it was revoked, or "
        "the session it belonged to was restarted (which ends every link)."
    ),
}

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{title}</title>
<style>
  body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; display: grid;
         place-items: center; min-height: 100vh; }}
  main {{ max-width: 34em; padding: 2em; }}
  h1 {{ font-size: 1.4em; margin: 0 0 .6em; }}
</style>
</head>
<body>
<main role="main" data-capella-share-ended="{cause}">
<h1>{title}</h1>
<p>{why}</p>
<p>{then}</p>
</main>
</body>
</html>
"""


def access_ended_page(cause: str, refusal: str = "") -> str:
    """The page for a guest who came with a dead link (``cause``: "revoked",
    "expired", "removed", "unknown") or whom the server lets in no more (``refusal``: why
    guests are off)."""
    if refusal:
        title = "Share links are not accepted here right now"
        why = refusal
        then = "Try again later, or ask the person who shared this session with you."
    else:
        title = "Your access to this session has ended"
        why = _WHY.get(cause, _WHY["unknown"])
        then = "To continue, ask the person who shared it with you for a new link."
    return _TEMPLATE.format(
        title=html.escape(title),
        cause=html.escape(cause or "refused"),
        why=html.escape(why),
        then=html.escape(then),
    )
