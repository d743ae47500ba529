"""The keys under which the managers sit in the web app's settings, and the
guests' limits read through the app found there.

Handlers reach the managers through these settings (as jupyter_server_terminals'
handlers reach theirs), so no module below the app imports it, and the app
imports handler modules only to route them.
"""

from __future__ import annotations

import typing as t

#: web app settings keys, one per manager (the app puts them there at start)
LINKS_SETTING = "capella_share_links"
CONNECTIONS_SETTING = "capella_share_connections"
PROCESSES_SETTING = "capella_share_processes"
HUB_GRANTS_SETTING = "capella_share_hub_grants"
SHARES_SETTING = "capella_share_shares"
ACTIVITY_SETTING = "capella_share_activity"
GATE_SETTING = "capella_share_gate"
TRUST_NOTES_SETTING = "capella_share_trust_notes"
#: why project shares are off ("" when they are on)
SHARES_OFF_SETTING = "capella_share_shares_off"


#: The key under which jupyter_server keeps our ExtensionApp in the web app's
#: settings: its name.
APP_SETTING = "capella_share"

#: The limits on guests, as the app's traits of these names, with their defaults.
LIMITS: dict[str, int] = {
    "guest_workspace_max_bytes": 1024 * 1024,
    "guest_workspace_max_count": 10,
    "max_awareness_bytes": 64 * 1024,
}


def configured(settings: t.Mapping[str, t.Any], name: str) -> int:
    """The value of the limit ``name`` (a trait of the app) for the server of
    ``settings``, read each time (the owner may change it); its default when the
    extension is not there."""
    app = settings.get(APP_SETTING)
    return int(getattr(app, name)) if app is not None else LIMITS[name]
