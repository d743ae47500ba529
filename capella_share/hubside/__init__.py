"""The hub side of capella-share: what runs in JupyterHub's process or beside it.

- :mod:`.spawner`: the spawner hooks that put a user's project shares into their
  server as it starts (inside the hub's process);
- :mod:`.registry`: the share registry, a JupyterHub service
  (``capella-share-registry``).

Nothing here imports the single-user server (jupyter_server, the extension's app,
handlers, identity…): the hub does not run it, and must not load it to start a
server. The rules both sides follow are in :mod:`capella_share.shares.rules`;
tests/hubside/test_hubside_imports.py holds the line.
"""
