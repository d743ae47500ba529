"""The activity trail: who did what through each link, recorded by the server.

- :mod:`.trail`: the append-only, hash-chained files and their check;
- :mod:`.export`: records as CSV rows.
"""

from .trail import TrailWriter, Verdict, verify

__all__ = ["TrailWriter", "Verdict", "verify"]
