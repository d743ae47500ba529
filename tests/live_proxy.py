"""A platform's authenticating proxy in front of a real Jupyter server
(docs/platforms.md), for tests/server/test_proxy.py and bench/proxy.py.

A real nginx (Debian's) runs the configuration docs/platforms.md gives, ports
filled in, in front of a real ``jupyter lab --ServerApp.token=''`` with
``CapellaShareApp.proxy_owner`` on, and a stand-in for the platform's session
validator: nginx admits a request when the platform says yes (the owner), or else
when capella-share's auth-check says yes (a share link's guest). Everything runs
on 127.0.0.1, its files under one work folder.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import threading
import typing as t
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
from helpers import REPO, until_blocking
from live_server import LiveServer, free_port, stop_process

NGINX = "/usr/sbin/nginx"
DOC = REPO / "docs" / "platforms.md"
PREFIX = "/session/"
PLATFORM_COOKIE = "platform_session"
OWNER_COOKIE = {PLATFORM_COOKIE: "good"}


# -- the platform's validator -------------------------------------------------------------
class PlatformValidator:
    """The platform's session check: 200 for its session cookie, 401 for anything else."""

    def __init__(self) -> None:
        validator = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                validator.asked += 1
                good = f"{PLATFORM_COOKIE}=good" in self.headers.get("Cookie", "")
                self.send_response(200 if good else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: t.Any) -> None:
                pass

        self.asked = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


# -- nginx ------------------------------------------------------------------------------------
def documented_config() -> str:
    """The nginx configuration docs/platforms.md gives (the first nginx block)."""
    match = re.search(r"```nginx\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert match, f"no nginx configuration in {DOC}"
    return match.group(1)


def _fill(config: str, old: str, new: str) -> str:
    assert config.count(old) == 1, f"{old!r} is not in the documented configuration once"
    return config.replace(old, new)


#: Locations beside the documented ones, to time the auth subrequests alone
#: (empty_gif answers once they admit): capella-share's check, and the whole
#: chain (the platform refuses, capella-share admits).
PROBES = """
    location = /_probe/capella-share {
        auth_request /_auth/capella-share;
        empty_gif;
    }
    location = /_probe/chain {
        auth_request /_auth/platform;
        empty_gif;
    }
"""


class Nginx:
    """nginx with the documented server block, everything of its own under ``workdir``."""

    def __init__(self, workdir: Path, jupyter_port: int, platform_port: int):
        self.workdir = workdir
        self.port = free_port()
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (workdir / name).mkdir(parents=True, exist_ok=True)
        server = documented_config()
        server = _fill(server, "server 127.0.0.1:8888;", f"server 127.0.0.1:{jupyter_port};")
        server = _fill(server, "server 127.0.0.1:9000;", f"server 127.0.0.1:{platform_port};")
        server = _fill(server, "listen 80;\n", f"listen 127.0.0.1:{self.port};\n{PROBES}")
        self.config = workdir / "nginx.conf"
        self.config.write_text(
            f"""
daemon off;
master_process on;
worker_processes 1;
user root;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log info;
events {{
    worker_connections 512;
}}
http {{
    access_log {workdir}/access.log;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
{server}
}}
"""
        )
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> None:
        command = [NGINX, "-p", str(self.workdir), "-c", str(self.config), "-e", "stderr"]
        check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stderr
        with open(self.workdir / "nginx.out", "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        process = self.process

        def answers() -> bool:
            assert process.poll() is None, self.log()
            try:
                requests.get(f"{self.url}/", timeout=2)
            except requests.ConnectionError:
                return False
            return True

        until_blocking(
            answers, timeout, lambda: f"nginx did not answer within {timeout} s:\n{self.log()}"
        )

    def log(self) -> str:
        parts = [self.workdir / "nginx.out", self.workdir / "error.log"]
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in parts if p.exists())

    def stop(self) -> None:
        stop_process(self.process)


# -- the whole stack ------------------------------------------------------------------------------
class Stack(t.NamedTuple):
    nginx: Nginx
    jupyter: LiveServer
    platform: PlatformValidator

    def url(self, path: str) -> str:
        return f"{self.nginx.url}{PREFIX}{path}"

    def direct(self, path: str) -> str:
        return f"{self.jupyter.base_url}/{path}"


@contextlib.contextmanager
def running_stack(workdir: Path) -> t.Iterator[Stack]:
    """The platform's validator, Jupyter (``workdir/jupyter``) and nginx
    (``workdir/nginx``), started; all stopped when the block ends."""
    platform = PlatformValidator()
    jupyter = LiveServer(
        workdir / "jupyter",
        token="",
        app="jupyterlab",
        prefix=PREFIX,
        extensions={**LiveServer.ONLY_CAPELLA_SHARE, "jupyterlab": True},
        args=["--ServerApp.token=", "--CapellaShareApp.proxy_owner=True"],
    )
    nginx: Nginx | None = None
    platform.start()
    try:
        jupyter.start()
        nginx = Nginx(workdir / "nginx", jupyter.port, platform.port)
        nginx.start()
        yield Stack(nginx, jupyter, platform)
    finally:
        if nginx is not None:
            nginx.stop()
        jupyter.stop()
        platform.stop()


def owner_session(stack: Stack) -> requests.Session:
    """A browser logged in to the platform, with the XSRF cookie a Lab page sets
    (the owner is cookie-authenticated: its writes need it)."""
    session = requests.Session()
    session.cookies.update(OWNER_COOKIE)
    page = session.get(stack.url("lab"), timeout=30)
    assert page.status_code == 200, page.status_code
    session.headers["X-XSRFToken"] = session.cookies["_xsrf"]
    return session


def make_link(stack: Stack, permission: str = "view") -> dict:
    """A link made by the owner through nginx: its model, with its token."""
    response = owner_session(stack).post(
        stack.url("api/capella-share/links"), json={"permission": permission}, timeout=30
    )
    assert response.status_code == 201, response.text
    return response.json()
