"""Run a command confined by Landlock, and end everything it starts with it.

Usage: ``python -I -S confine.py RULES_JSON -- COMMAND...`` (RULES_JSON may also
name the command's whole environment, "env").

Where user namespaces are refused (a default Kubernetes pod), Landlock (Linux
5.13+) still lets a process give up file access for itself and its
descendants, without any privilege. This launcher stays outside the sandbox:

- it marks itself a child subreaper, so every process the command starts and
  orphans (``setsid``, a double fork, ``nohup``) becomes its child;
- it forks the command, which restricts itself to RULES (paths it may read,
  paths it may also write, single files) and to signals and abstract sockets of
  its own domain, then executes;
- it ends every process below it, at once, when the command exits, when it is
  told to stop (SIGTERM, SIGHUP) and when its parent (the server) dies.

It ignores SIGINT: an interrupt is sent to its process group, which reaches the
command. It imports nothing but the standard library (it runs before, and
outside, anything of the server's).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time

SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ = EXECUTE | READ_FILE | READ_DIR
WRITE = (
    WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO | MAKE_SYM
)
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV


class RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def abi() -> int:
    """The Landlock ABI this kernel offers (0: none)."""
    version = _libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION)
    return max(0, int(version))


def _handled(version: int) -> int:
    handled = READ | WRITE | MAKE_CHAR | MAKE_BLOCK
    if version >= 2:
        handled |= REFER
    if version >= 3:
        handled |= TRUNCATE
    if version >= 5:
        handled |= IOCTL_DEV
    return handled


def restrict(rules: dict[str, list[str]]) -> None:
    """Give up every file access but ``rules``: "read" (read and execute below),
    "write" (also create, change and remove below), "read_files" and
    "write_files" (single files). Signals and abstract unix sockets reach only
    this domain where the kernel can scope them (ABI 6)."""
    version = abi()
    if version < 1:
        raise OSError("Landlock is not available on this kernel")
    handled = _handled(version)
    attr = RulesetAttr(handled, 0, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if version >= 6 else 0)
    size = ctypes.sizeof(RulesetAttr) if version >= 6 else 8
    ruleset = _libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    extra = (REFER if version >= 2 else 0) | (TRUNCATE if version >= 3 else 0)
    grants = (
        ("read", READ, False),
        ("write", READ | WRITE | extra, False),
        ("read_files", READ_FILE | EXECUTE, True),
        ("write_files", READ_FILE | WRITE_FILE | (TRUNCATE if version >= 3 else 0), True),
    )
    for key, access, files in grants:
        for path in rules.get(key, []):
            _allow(ruleset, path, access & (FILE_RIGHTS if files else handled))
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if _libc.syscall(SYS_RESTRICT_SELF, ruleset, 0) != 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    os.close(ruleset)


def _allow(ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # nothing there: nothing to allow
    try:
        if not os.path.isdir(path):
            access &= FILE_RIGHTS
        rule = PathBeneathAttr(access, fd)
        if _libc.syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
    finally:
        os.close(fd)


def descendants() -> list[int]:
    """This process's children and theirs (orphans below it are its children)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [os.getpid()]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def end_all() -> None:
    """SIGKILL every process below this one until none is left, reaping them."""
    for _ in range(50):
        left = descendants()
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _reap()
        time.sleep(0.01)


def _reap() -> int | None:
    """Reap every child that ended; the exit status of the command, if it did."""
    status = None
    while True:
        try:
            pid, code = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return status
        if pid == 0:
            return status
        if pid == _command:
            status = os.waitstatus_to_exitcode(code)


_command = 0


class Stop(Exception):
    """Told to stop: end everything."""


def _stop(*_: object) -> None:
    raise Stop


def main(argv: list[str]) -> int:
    global _command
    if len(argv) < 3 or argv[1] != "--":
        print("usage: confine.py RULES_JSON -- COMMAND...", file=sys.stderr)
        return 2
    rules = json.loads(argv[0])
    command = argv[2:]
    _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, _stop)
    _command = os.fork()
    if _command == 0:
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            for stop in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(stop, signal.SIG_DFL)
            restrict(rules)
            env = rules.get("env")
            if isinstance(env, dict):
                os.execvpe(command[0], command, {str(k): str(v) for k, v in env.items()})
            os.execvp(command[0], command)
        except BaseException as error:
            print(f"capella-share: the sandbox could not start: {error}", file=sys.stderr)
        os._exit(126)
    status = None
    try:
        while status is None:
            try:
                pid, code = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            if pid == _command:
                status = os.waitstatus_to_exitcode(code)
    except Stop:
        pass
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, signal.SIG_IGN)
    end_all()
    return status if status is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
