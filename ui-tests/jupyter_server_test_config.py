"""Server configuration for the UI tests: Galata's helpers, with authentication ON.

The owner authenticates with a known token (sent by the browser context as a
header); guests come in through share links made in the UI, as in real use.
"""

import os
from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

# Galata turns authentication off; capella-share is about authentication.
c.IdentityProvider.token = os.environ.get("CAPELLA_UI_OWNER_TOKEN", "capella-ui-owner-token")  # noqa: F821
c.ServerApp.disable_check_xsrf = False  # noqa: F821
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.port = int(os.environ.get("CAPELLA_UI_PORT", "8888"))  # noqa: F821
# Notebook 7's pages too expose their app to the tests (as Galata does the Lab's).
c.JupyterNotebookApp.expose_app_in_browser = True  # noqa: F821
# This test server's own registries, not the user's and not in the work tree.
_state = mkdtemp(prefix="capella-ui-")
c.LocalShareProvider.db_path = os.path.join(_state, "shares.sqlite")  # noqa: F821
c.SQLiteYStore.db_path = os.path.join(_state, "ystore.db")  # noqa: F821
c.BaseFileIdManager.db_path = os.path.join(_state, "file_id_manager.db")  # noqa: F821
# and its own activity trail
c.CapellaShareApp.activity_dir = os.path.join(_state, "activity")  # noqa: F821
# and its own notebook signatures: a notebook trusted in another run is not trusted here
c.NotebookNotary.db_file = os.path.join(_state, "nbsignatures.db")  # noqa: F821
