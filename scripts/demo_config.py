"""The Jupyter server settings of the demo (scripts/demo).

What the server keeps about the demo workspace lives in the demo's state folder
(CAPELLA_DEMO_STATE, beside the workspace and made and removed with it), never
in the folder the demo was started from: the live documents' history there
outlived the workspace and the file ids it is keyed by (kept in the user's
Jupyter data folder), and a room rebuilt from a history its open clients do not
share makes the screen and the file on disk disagree. The share registry and
the file ids follow JUPYTER_DATA_DIR, which the demo points into the same folder.
"""

import os

state = os.environ["CAPELLA_DEMO_STATE"]
c.SQLiteYStore.db_path = os.path.join(state, "ystore.db")  # noqa: F821
