"""``python -m capella_share.hubside.registry``: the same as ``capella-share-registry``."""

from .app import main

main()
