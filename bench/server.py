"""Jupyter servers in subprocesses on 127.0.0.1 for the benchmarks, and HTTP helpers."""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import subprocess
import sys
import time
import typing as t
import urllib.parse
from pathlib import Path

# The subprocess-server basics are shared with the tests that need a real server.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from live_server import free_port, isolated_env, stop_process

OWNER_TOKEN = "capella-bench-owner-token"

#: Server extensions every bench server may load; capella_share is switched per server.
EXTENSIONS = ("jupyterlab", "jupyter_server_terminals", "jupyter_lsp", "notebook_shim")


def has_rtc() -> bool:
    """Whether jupyter-collaboration's document websocket can be served here."""
    return importlib.util.find_spec("jupyter_server_ydoc") is not None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def cpu_ns(pid: int) -> int:
    """CPU time the threads of process ``pid`` have used so far, in nanoseconds
    (Linux's schedstat): unlike wall time, hardly swayed by what else runs."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as file:
                total += int(file.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
    return total


class Server:
    """One ``jupyter server``; ``capella`` switches capella-share (server and Lab parts)."""

    def __init__(
        self,
        workdir: Path,
        root: Path,
        capella: bool = True,
        extensions: t.Iterable[str] = (),
        args: t.Iterable[str] = (),
    ):
        self.workdir = workdir
        self.root = root
        self.capella = capella
        self.extensions = set(extensions)
        self.args = list(args)
        self.port = 0
        self.process: subprocess.Popen | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        switches = {name: name in self.extensions for name in EXTENSIONS}
        switches["capella_share"] = self.capella
        if has_rtc():
            switches["jupyter_server_ydoc"] = "jupyter_server_ydoc" in self.extensions
            switches["jupyter_server_fileid"] = "jupyter_server_ydoc" in self.extensions
        command = [
            sys.executable, "-m", "jupyter_server", "--allow-root", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root}",
            f"--IdentityProvider.token={OWNER_TOKEN}",
            "--ServerApp.allow_unauthenticated_access=False",
            *(f"--ServerApp.jpserver_extensions={name}={on}" for name, on in switches.items()),
            *self.args,
        ]  # fmt: skip
        return command

    def start(self, timeout: float = 90) -> Server:
        self.port = free_port()
        log = open(self.workdir / "server.log", "ab")  # noqa: SIM115 - kept for the process
        self.process = subprocess.Popen(
            self.command(),
            env=isolated_env(self.workdir),
            cwd=self.workdir,  # where extensions put files of their own (RTC's store)
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited; see {self.workdir / 'server.log'}")
            try:
                if self.request("GET", "api/status", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not start; see {self.workdir / 'server.log'}")

    def stop(self) -> None:
        stop_process(self.process)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: t.Any) -> None:
        self.stop()

    def cpu_ns(self) -> int:
        """CPU time the server has used so far, in nanoseconds."""
        assert self.process is not None
        return cpu_ns(self.process.pid)

    def rss(self) -> int:
        """Resident memory of the server process, in bytes."""
        assert self.process is not None
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS")

    def request(
        self,
        method: str,
        path: str,
        body: t.Any = None,
        token: str | None = OWNER_TOKEN,
        headers: dict[str, str] | None = None,
        timeout: float = 600,
    ) -> tuple[int, bytes, http.client.HTTPMessage]:
        """One request on a connection of its own: (status, body, headers)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            return Client.send(connection, method, "/" + path, body, token, headers)
        finally:
            connection.close()

    def json(self, method: str, path: str, body: t.Any = None, **kwargs: t.Any) -> t.Any:
        status, data, _ = self.request(method, path, body, **kwargs)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data) if data else None

    def make_link(self, permission: str, label: str = "bench") -> tuple[str, str]:
        """A link as the owner: (id, token)."""
        model = self.json(
            "POST", "api/capella-share/links", {"permission": permission, "label": label}
        )
        return model["id"], model["token"]

    def guest_cookie(self, token: str) -> str:
        """The Cookie header of a browser that opened a link (``?token=``)."""
        query = urllib.parse.urlencode({"token": token})
        status, _, headers = self.request(
            "GET", f"api/capella-share/session?{query}", token=None, headers={"Host": self.host}
        )
        assert status == 200, status
        cookies = [value.split(";", 1)[0] for value in headers.get_all("Set-Cookie") or []]
        assert any("-guest=" in cookie for cookie in cookies), cookies
        return "; ".join(cookies)


class Client:
    """Sequential requests over one keep-alive connection, as a browser tab makes them."""

    def __init__(self, port: int, token: str | None = None, cookie: str | None = None):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.token = token
        self.headers = {"Cookie": cookie, "Host": f"127.0.0.1:{port}"} if cookie else {}

    @staticmethod
    def send(
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        body: t.Any,
        token: str | None,
        headers: dict[str, str] | None,
    ) -> tuple[int, bytes, http.client.HTTPMessage]:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"token {token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        return response.status, response.read(), response.headers

    def get(self, path: str) -> int:
        return self.send(self.connection, "GET", "/" + path, None, self.token, self.headers)[0]

    def close(self) -> None:
        self.connection.close()
