"""The tests' pytest configuration: Jupyter's server fixtures and ours
(tests/capella_fixtures.py), and the filters and hooks of the whole run."""

import log_scan
from live_server import OWNER_TOKEN

pytest_plugins = ("pytest_jupyter.jupyter_server", "capella_fixtures")

#: jupyter_server_terminals' TermSocket.get checks the user itself but carries no
#: @ws_authenticated, so jupyter_server warns when the extension loads; under
#: filterwarnings=error that warning would stop terminals from loading at all.
TERMSOCKET_AUTH_WARNING = (
    "ignore:Extension endpoints without @allow_unauthenticated, @ws_authenticated, "
    r"nor @web.authenticated.\s+- GET of TermSocket registered for \S+$"
    ":jupyter_server.utils.JupyterServerAuthWarning"
)


def pytest_configure(config):
    config.addinivalue_line("filterwarnings", TERMSOCKET_AUTH_WARNING)
    # every log line of the run is looked through for secrets (log_scan.py)
    log_scan.KNOWN.add(OWNER_TOKEN)
    log_scan.install()


def pytest_terminal_summary(terminalreporter):
    terminalreporter.section("secrets in the run's logs")
    terminalreporter.write_line(
        f"{log_scan.checked()} log records and files looked through; "
        f"{len(log_scan.found)} secrets found"
    )
    for line in log_scan.found:
        terminalreporter.write_line(f"  {line}")


def pytest_sessionfinish(session, exitstatus):
    if log_scan.found and session.exitstatus == 0:
        session.exitstatus = 1  # a secret in a log fails the run
