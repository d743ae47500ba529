"""A real JupyterHub (tests/live_hub.py) running capella-share-registry as a
hub-managed service, configured as docs/registry.md tells admins to.

Hub users: alice (hub admin), bob (may create projects), carol (group "reviewers"),
dave (group "designers") and erin; each gets a hub token that may reach the
registry, as a single-user server's own token would.
"""

from __future__ import annotations

import typing as t
import urllib.parse
from pathlib import Path

import requests
from helpers import until_blocking
from live_hub import PASSWORD, LiveHub
from live_server import free_port

SERVICE = "capella-share-registry"
PREFIX = f"/services/{SERVICE}/"
USERS = ("alice", "bob", "carol", "dave", "erin")

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: The hub configuration docs/jupyterhub.md and docs/registry.md tell admins to use.
DOCS_HUB_CONFIG = (DOCS / "jupyterhub_config.py").read_text() + (
    DOCS / "jupyterhub_registry_config.py"
).read_text()

#: What the tests add: more users and groups, and the service where the test runs it.
TEST_HUB_CONFIG = """
c.Authenticator.admin_users = {{"alice"}}
c.Authenticator.allowed_users |= {{"dave", "erin"}}
c.JupyterHub.load_groups = {{
    "reviewers": {{"users": ["carol"]}},
    "designers": {{"users": ["dave"]}},
}}
for service in c.JupyterHub.services:
    if service["name"] == REGISTRY:
        service["url"] = "http://127.0.0.1:{port}"
        service["command"] = [
            sys.executable, "-m", "capella_share.hubside.registry", "-f", {config!r}
        ]
        service["cwd"] = {workdir!r}
"""


REGISTRY_CONFIG = """
c = get_config()  # noqa
c.RegistryApp.db_url = {db_url!r}
c.RegistryApp.storage_root = {storage_root!r}
c.RegistryApp.project_creators = ["bob"]
c.RegistryApp.log_level = "DEBUG"
"""


class LiveRegistryHub(LiveHub):
    """LiveHub with the registry service; ``storage_root`` holds the share folders."""

    def __init__(self, workdir: Path, db_url: str, extra_config: str = ""):
        self.storage_root = workdir / "shares"
        self.registry_config = workdir / "capella_share_registry_config.py"
        self.registry_config.write_text(
            REGISTRY_CONFIG.format(db_url=db_url, storage_root=str(self.storage_root))
        )
        config = DOCS_HUB_CONFIG + TEST_HUB_CONFIG.format(
            port=free_port(), config=str(self.registry_config), workdir=str(workdir)
        )
        super().__init__(workdir, config + extra_config)
        self.tokens: dict[str, str] = {}

    @property
    def registry_url(self) -> str:
        return f"{self.url}{PREFIX}"

    def start(self, timeout: float = 90) -> None:
        super().start(timeout)
        self.wait_for_registry(timeout)
        for user in USERS:
            self.tokens[user] = self.user_token(user)

    def wait_for_registry(self, timeout: float) -> None:
        def answers() -> bool:
            try:
                # anonymous API calls are refused, which shows the service answers
                response = requests.get(f"{self.registry_url}api/me", timeout=5)
            except requests.ConnectionError:
                return False
            return response.status_code == 403

        until_blocking(answers, timeout, lambda: f"the registry did not answer:\n{self.log()}")

    def user_token(self, user: str) -> str:
        """A token of ``user`` that reaches the registry and nothing else."""
        response = self.api(
            "POST",
            f"users/{user}/tokens",
            json={"scopes": [f"access:services!service={SERVICE}"], "note": "registry tests"},
        )
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def registry(
        self, method: str, path: str, user: str | None = None, **kwargs: t.Any
    ) -> requests.Response:
        """A registry API call as ``user`` (their token), or anonymous."""
        headers = dict(kwargs.pop("headers", None) or {})
        if user is not None:
            headers["Authorization"] = f"token {self.tokens[user]}"
        return requests.request(
            method, f"{self.registry_url}api/{path}", headers=headers, timeout=60, **kwargs
        )

    def browser(self, user: str) -> requests.Session:
        """A browser-like session logged in to the registry's page through the hub's OAuth."""
        session = requests.Session()
        # log in with the registry's page as the next one: no server is spawned
        login = f"{self.url}/hub/login?next={urllib.parse.quote(PREFIX)}"
        session.get(login, timeout=30)
        data = {"username": user, "password": PASSWORD, "_xsrf": session.cookies.get("_xsrf", "")}
        page = session.post(login, data=data, timeout=60)
        assert page.status_code == 200, (page.status_code, page.url)
        assert urllib.parse.urlsplit(page.url).path == PREFIX, page.url
        return session
