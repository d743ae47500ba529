"""The activity trail: who did what through each link, recorded by the server.

- :mod:`.trail`: the append-only, hash-chained files and their check;
- :mod:`.manager`: :class:`ActivityTrail`, what is recorded and answered;
- :mod:`.request`: which guest's request the running code serves;
- :mod:`.contents`: the contents manager's side (files read and written);
- :mod:`.routes`: the route guard's side (refusals, downloads, kernel actions);
- :mod:`.handlers`: ``GET api/capella-share/activity``;
- :mod:`.shipping`: sending the trail to the hub's share registry.
"""

from .manager import ActivityTrail
from .trail import TrailWriter, Verdict, verify

__all__ = ["ActivityTrail", "TrailWriter", "Verdict", "verify"]
