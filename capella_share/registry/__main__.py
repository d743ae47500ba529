"""``python -m capella_share.registry``: the same as ``capella-share-registry``."""

from .app import main

main()
