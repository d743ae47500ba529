"""A real Jupyter server in a subprocess on 127.0.0.1, with capella-share and
authentication on: for tests that need real HTTP from outside (a fuzzer) or a
real process to kill."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import typing as t
from pathlib import Path

import log_scan
import requests
from helpers import until_blocking

OWNER_TOKEN = "capella-live-owner-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_env(workdir: Path) -> dict[str, str]:
    """This environment, with the server's Jupyter data, runtime and config
    folders under ``workdir``: nothing of the user's is read or written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "CAPELLA"))}
    for name in ("data", "runtime", "config"):
        (workdir / name).mkdir(exist_ok=True)
    env.update(
        JUPYTER_DATA_DIR=str(workdir / "data"),
        JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        JUPYTER_CONFIG_DIR=str(workdir / "config"),
        JUPYTER_PLATFORM_DIRS="1",
        PYTHONWARNINGS="ignore",
    )
    return env


def stop_process(process: subprocess.Popen | None) -> None:
    """Stop a server process: politely, then by force."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(20)


class LiveServer:
    """``jupyter server`` with capella-share only, its files under ``workdir``.

    ``workdir/root`` is the server's root; ``workdir/data`` its Jupyter data
    directory (the share registry lives there), so a restart finds the same shares.
    """

    #: The other extensions a plain LiveServer switches off.
    ONLY_CAPELLA_SHARE: t.ClassVar[dict[str, bool]] = {
        "jupyterlab": False,
        "jupyter_lsp": False,
        "notebook_shim": False,
        "jupyter_server_terminals": False,
        "jupyter_server_ydoc": False,
        "jupyter_server_fileid": False,
    }

    def __init__(
        self,
        workdir: Path,
        token: str = OWNER_TOKEN,
        *,
        app: str = "jupyter_server",
        prefix: str = "/",
        extensions: dict[str, bool] | None = None,
        args: t.Sequence[str] = (),
        env: dict[str, str] | None = None,
    ):
        """``app``: the module run (``jupyter_server`` or ``jupyterlab``); ``prefix``:
        the server's base URL; ``extensions``: server extensions switched on or off
        (default: capella-share alone); ``args``, ``env``: more of each."""
        self.workdir = workdir
        self.root = workdir / "root"
        self.token = token
        self.app = app
        self.prefix = prefix
        self.extensions = self.ONLY_CAPELLA_SHARE if extensions is None else extensions
        self.args = list(args)
        self.extra_env = dict(env or {})
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "server.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix.rstrip('/')}"

    def env(self) -> dict[str, str]:
        return {**isolated_env(self.workdir), **self.extra_env}

    def start(self, timeout: float = 60) -> None:
        self.port = free_port()
        command = [
            sys.executable, "-m", self.app, "--allow-root", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root}",
            f"--ServerApp.base_url={self.prefix}",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_unauthenticated_access=False",
            "--ServerApp.jpserver_extensions=capella_share=True",
            *(
                f"--ServerApp.jpserver_extensions={name}={enabled}"
                for name, enabled in self.extensions.items()
            ),
            *self.args,
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env(), cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
            )
        process = self.process

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited ({process.returncode}):\n{self.log()}")
            try:
                return self.request("GET", "api/status", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        try:
            until_blocking(
                answers,
                timeout,
                lambda: f"the server did not answer within {timeout} s:\n{self.log()}",
            )
        except AssertionError:
            self.stop()
            raise

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"token {token or self.token}"}

    def request(
        self, method: str, path: str, token: str | None = None, timeout: float = 60, **kwargs: t.Any
    ) -> requests.Response:
        return requests.request(
            method,
            f"{self.base_url}/{path}",
            headers=self.headers(token),
            timeout=timeout,
            **kwargs,
        )

    def kill(self) -> None:
        """SIGKILL: no cleanup of any kind runs in the server."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(30)

    def stop(self) -> None:
        stop_process(self.process)
        log_scan.check_file(self.log_path, f"a server under {self.workdir.name}")
