"""Fail if any handler of capella-share can be reached without authentication.

A server that does not allow unauthenticated access warns about every handler
lacking an authentication decorator; here such a warning is a failure.
"""

import sys
import warnings

from jupyter_server.serverapp import ServerApp
from jupyter_server.utils import JupyterServerAuthWarning

app = ServerApp(
    allow_unauthenticated_access=False,
    jpserver_extensions={"capella_share": True},
    reraise_server_extension_failures=True,
)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    app.initialize(argv=[], find_extensions=False, new_httpserver=False)

ours = [
    str(w.message)
    for w in caught
    if issubclass(w.category, JupyterServerAuthWarning) and "capella" in str(w.message).lower()
]
loaded = "capella_share" in app.extension_manager.extension_apps
if not loaded:
    sys.exit("capella_share did not load: nothing was checked.")
handlers = [
    rule.matcher.regex.pattern
    for router in app.web_app.default_router.rules
    for rule in getattr(router.target, "rules", [])
    if "capella-share" in rule.matcher.regex.pattern
]
if not handlers:
    sys.exit("No capella-share handler found: nothing was checked.")
if ours:
    sys.exit("\n".join(ours))
print(f"auth check: all {len(handlers)} capella-share handlers require authentication.")
