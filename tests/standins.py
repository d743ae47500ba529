"""Stand-ins for the services around a session, each a real HTTP server on 127.0.0.1
in its own thread (so that a synchronous client in the server under test cannot
block it):

- ``StandInRegistry`` speaks the part of the share registry's REST contract
  (/tmp/plan contract, docs/registry.md) the spawner hook and the session use; the
  registry itself is tested against a real hub in tests/hubside/test_platform_shares.py.
- ``StandInKubernetes`` answers the PersistentVolumeClaim calls of the Kubernetes
  API the spawner hook makes, and records what it was sent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLES = {"manager": 3, "read-write": 2, "read-only": 1}


class _Server:
    """A ThreadingHTTPServer on 127.0.0.1 that can be stopped and started again
    on the same port (to be unreachable for a while)."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.handler = handler
        self.port = 0
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type:ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


class _JSONHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: t.Any) -> None:  # quiet
        pass

    @property
    def owner(self) -> t.Any:
        return self.server.owner  # type:ignore[attr-defined]

    def body(self) -> t.Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else {}

    def answer(self, status: int, body: t.Any = None) -> None:
        data = json.dumps(body if body is not None else {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _RegistryHandler(_JSONHandler):
    def _route(self, method: str) -> None:
        registry: StandInRegistry = self.owner
        token = (self.headers.get("Authorization") or "").removeprefix("token ")
        user = registry.tokens.get(token)
        if user is None:
            return self.answer(403, {"message": "no access to capella-share-registry"})
        path = self.path.split("?")[0].removeprefix(registry.prefix)
        body = self.body() if method in ("POST", "PUT", "DELETE") else None
        with registry.lock:
            registry.requests.append((method, path, user))
            status, answer = registry.handle(method, path, user, body)
        self.answer(status, answer)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def do_DELETE(self) -> None:
        self._route("DELETE")


class StandInRegistry(_Server):
    """Projects, members and shares in memory; share folders under ``storage_root``."""

    prefix = "/services/capella-share-registry/api/"

    def __init__(self, storage_root: str, admins: t.Iterable[str] = ()):
        super().__init__(_RegistryHandler)
        self.storage_root = storage_root
        self.admins = set(admins)
        self.tokens: dict[str, str] = {}
        self.projects: dict[str, dict[str, t.Any]] = {}
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    # -- what a test sets up directly ------------------------------------------------------
    def add(self, project: str, model: str, members: dict[str, str], name: str = "") -> None:
        with self.lock:
            entry = self.projects.setdefault(
                project, {"name": name or project.title(), "members": {}, "shares": {}}
            )
            entry["members"].update(members)
            entry["shares"][model] = {"name": model.title()}
            os.makedirs(os.path.join(self.storage_root, project, model), exist_ok=True)

    def set_role(self, project: str, user: str, role: str | None) -> None:
        with self.lock:
            members = self.projects[project]["members"]
            if role is None:
                members.pop(user, None)
            else:
                members[user] = role

    # -- the contract ----------------------------------------------------------------------
    def role(self, project: str, user: str) -> str | None:
        return self.projects[project]["members"].get(user)

    def handle(self, method: str, path: str, user: str, body: t.Any) -> tuple[int, t.Any]:
        admin = user in self.admins
        if match := re.fullmatch(r"users/([^/]+)/shares", path):
            if match[1] != user and not admin:
                return 403, {"message": "only your own shares"}
            return 200, {"user": match[1], "shares": self.shares_of(match[1])}
        if method == "GET" and path == "me":
            return 200, {"name": user, "admin": admin, "groups": [], "may_create_projects": admin}
        if method == "POST" and path == "projects":
            return self.new_project(user, admin, body)
        if match := re.fullmatch(r"projects/([^/]+)", path):
            project = self.projects.get(match[1])
            role = project and project["members"].get(user)
            if project is None or (role is None and not admin):
                return 404, {"message": f"There is no project {match[1]}."}
            return 200, {"slug": match[1], "name": project["name"], "role": role}
        if match := re.fullmatch(r"projects/([^/]+)/shares(?:/([^/]+))?", path):
            return self.change_share(method, match[1], match[2], user, admin, body)
        return 404, {"message": f"no route {path}"}

    def shares_of(self, user: str) -> list[dict[str, t.Any]]:
        found = []
        for slug, project in sorted(self.projects.items()):
            role = project["members"].get(user)
            if role is None:
                continue
            for model, share in sorted(project["shares"].items()):
                found.append(
                    {
                        "id": f"{slug}--{model}",
                        "project": slug,
                        "model": model,
                        "project_name": project["name"],
                        "model_name": share["name"],
                        "role": role,
                        "permission": "read-only" if role == "read-only" else "read-write",
                    }
                )
        return found

    def new_project(self, user: str, admin: bool, body: t.Any) -> tuple[int, t.Any]:
        if not admin:
            return 403, {"message": "You may not create projects."}
        slug = re.sub(r"[^a-z0-9]+", "-", body["name"].lower()).strip("-")
        if slug in self.projects:
            return 409, {"message": f"The project {slug} exists."}
        self.projects[slug] = {"name": body["name"], "members": {user: "manager"}, "shares": {}}
        return 201, {"slug": slug, "name": body["name"], "role": "manager"}

    def change_share(
        self, method: str, slug: str, model: str | None, user: str, admin: bool, body: t.Any
    ) -> tuple[int, t.Any]:
        project = self.projects.get(slug)
        role = project and project["members"].get(user)
        if project is None or (role is None and not admin):
            return 404, {"message": f"There is no project {slug}."}
        if role != "manager" and not admin:
            return 403, {"message": "Only the project's managers may change its shares."}
        if method == "POST" and model is None:
            model = re.sub(r"[^a-z0-9]+", "-", body["model"].lower()).strip("-")
            if model in project["shares"]:
                return 409, {"message": "exists"}
            project["shares"][model] = {"name": body["model"]}
            os.makedirs(os.path.join(self.storage_root, slug, model), exist_ok=True)
            return 201, {"id": f"{slug}--{model}", "project": slug, "model": model}
        if method == "DELETE" and model is not None:
            if model not in project["shares"]:
                return 404, {"message": f"There is no share {slug}/{model}."}
            if body.get("confirm") != f"{slug}/{model}":
                return 400, {"message": "confirm"}
            del project["shares"][model]
            folder = os.path.join(self.storage_root, slug, model)
            files = sum(len(names) for _, _, names in os.walk(folder))
            shutil.rmtree(folder, ignore_errors=True)
            return 200, {"deleted_files": files, "deleted_bytes": 0}
        return 405, {"message": "not here"}


class _KubeHandler(_JSONHandler):
    _CLAIMS = re.compile(r"/api/v1/namespaces/([^/]+)/persistentvolumeclaims(?:/([^/?]+))?")

    def do_GET(self) -> None:
        kube: StandInKubernetes = self.owner
        match = self._CLAIMS.fullmatch(self.path.split("?")[0])
        with kube.lock:
            claim = match and kube.claims.get((match[1], match[2]))
        if claim is None:
            return self.answer(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
        self.answer(200, claim)

    def do_POST(self) -> None:
        kube: StandInKubernetes = self.owner
        match = self._CLAIMS.fullmatch(self.path.split("?")[0])
        claim = self.body()
        if match is None or match[2] is not None:
            return self.answer(404, {"kind": "Status", "code": 404})
        key = (match[1], claim["metadata"]["name"])
        with kube.lock:
            kube.created.append(claim)
            if key in kube.claims:
                return self.answer(409, {"kind": "Status", "code": 409, "reason": "AlreadyExists"})
            kube.claims[key] = claim
        self.answer(201, claim)


class StandInKubernetes(_Server):
    """PersistentVolumeClaims by (namespace, name); every creation asked for in ``created``."""

    def __init__(self) -> None:
        super().__init__(_KubeHandler)
        self.lock = threading.Lock()
        self.claims: dict[tuple[str, str], dict[str, t.Any]] = {}
        self.created: list[dict[str, t.Any]] = []

    def kubeconfig(self) -> str:
        return json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": f"http://127.0.0.1:{self.port}"}}],
                "users": [{"name": "u", "user": {"token": "stand-in"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
