"""The tests' pytest configuration: Jupyter's server fixtures and ours
(tests/fixtures.py), and the filters and hooks of the whole run."""

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
