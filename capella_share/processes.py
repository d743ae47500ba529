"""Ending a link ends what its guests started, not only their sockets.

Closing a revoked guest's websockets leaves its processes running: a terminal's
shell, a kernel it started and the code it sent to any kernel. The
:class:`ProcessManager` knows who started what and who is using which kernel, and
when a link is revoked or expires:

- every terminal a guest of the link created is terminated;
- every kernel a guest of the link started is shut down, unless the owner or a
  guest of another live link has a kernel websocket open on it (kept for the
  owner: see ``CapellaShareApp.end_guest_kernels``);
- an execution a guest of the link sent that still runs on a kernel that stays
  alive is interrupted; one still queued is interrupted the moment it starts.

Where the facts come from:

- who started a kernel or a terminal: :class:`GuestKernelsMixin` and
  :class:`GuestTerminalsMixin`, put in front of the configured kernel and terminal
  manager classes, read :func:`principal.current_principal` of the request that
  starts one;
- who has a kernel websocket open, and which ``execute_request`` a guest sent: the
  kernel websocket route's guarded handler (:func:`guard_kernel_socket`);
- which request a kernel is running: our own subscription to the kernel's IOPub
  channel (``status`` messages name the request they are about).

Beyond the documented kernel and terminal manager APIs, every reach into an
upstream shape is a function of :mod:`capella_share.upstream`, checked at start;
:meth:`ProcessManager.wiring_problem` checks that each piece is in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import typing as t
import weakref
from dataclasses import dataclass
from functools import partial

from jupyter_core.utils import ensure_async
from tornado import web
from tornado.ioloop import IOLoop
from tornado.websocket import WebSocketHandler
from traitlets import Bool, Int
from traitlets.config import LoggingConfigurable

from . import policy, scope, upstream
from .activity.manager import code_summary
from .connections import is_open
from .identity import principal_of
from .links import Access, LinkManager
from .policy import Principal
from .principal import current_principal, principal_or_nobody
from .sandbox import ConfinedKernelManagerMixin, Sandbox
from .settings import PROCESSES_SETTING

if t.TYPE_CHECKING:
    from .activity.manager import ActivityTrail


@dataclass
class _Execution:
    """An ``execute_request`` a guest sent that the kernel has not finished."""

    link_id: str
    started: bool = False
    interrupts: int = 0
    #: how many requests with this msg_id are unfinished (a client may reuse one)
    count: int = 1


class ProcessManager(LoggingConfigurable):
    """Who started which kernel and terminal, who uses which kernel, and which
    guest executions are still running; ends a link's share of them when it ends."""

    end_guest_kernels = Bool(
        True,
        help="""Shut down a kernel a guest started when its link ends (unless the
        owner or a guest of another live link has it open). When False it is kept
        for the owner; the guest's running code is interrupted either way.""",
    )

    max_pending_executions = Int(
        1000,
        help="""The most unfinished guest executions remembered per kernel; the
        oldest are forgotten beyond it (a guest may queue requests without end).""",
    )

    restart_kernels_guests_ran = Bool(
        True,
        help="""Restart, when a link ends, every kernel that stays (the owner's, or
        another live link's) in which a guest of the link ran code: its state may
        hold the guest's threads and whatever its code left running.""",
    )

    confine_owner_kernels = Bool(
        True,
        help="""Run the owner's kernels in the sandbox too (guests' always are).""",
    )

    interrupt_attempts = Int(
        3,
        help="""How often an ended guest's execution is interrupted (a second
        apart) while it keeps running, as code may catch one KeyboardInterrupt.""",
    )

    def __init__(self, links: LinkManager, kernel_manager: t.Any, **kwargs: t.Any):
        super().__init__(**kwargs)
        self.links = links
        self.kernel_manager = kernel_manager
        #: kernel id -> the link whose guest started it; kept after the link ends
        #: while guests of other live links still use the kernel
        self._kernels: dict[str, str] = {}
        #: terminal name -> (its terminal manager, the link whose guest created it)
        self._terminals: dict[str, tuple[t.Any, str]] = {}
        #: kernel id -> its open websockets and whose they are
        self._sockets: dict[str, weakref.WeakKeyDictionary[WebSocketHandler, Principal]] = {}
        #: kernel id -> msg_id -> a guest's execution not finished yet
        self._executions: dict[str, dict[str, _Execution]] = {}
        #: kernel id -> our IOPub stream on it
        self._watches: dict[str, t.Any] = {}
        #: shutdowns and terminations under way (kept so they are not collected)
        self._tasks: set[asyncio.Future[t.Any]] = set()
        #: the sandbox code runs in (None: code runs as the server's user)
        self.sandbox: Sandbox | None = None
        #: the server's root folder, where scopes are
        self.root_dir: str = getattr(kernel_manager, "root_dir", "") or os.getcwd()
        #: kernel id -> whether it runs in the sandbox
        self._confined: dict[str, bool] = {}
        #: kernel id -> the scope its sandbox shows ("" : the whole root)
        self._views: dict[str, str] = {}
        #: link id -> the kernels its guests sent code to
        self._ran: dict[str, set[str]] = {}
        #: callbacks told of a kernel restarted because a link ended: (kernel id, link)
        self._on_restarted: list[t.Callable[[str, Access], None]] = []
        #: the activity trail, told what guests start and run (None: nothing is recorded)
        self.activity: ActivityTrail | None = None
        links.on_end(self.end_link)

    # -- the sandbox ------------------------------------------------------------------
    def confines(self, principal: Principal) -> bool:
        """Whether a kernel ``principal`` starts runs in the sandbox."""
        return self.sandbox is not None and (not principal.is_owner or self.confine_owner_kernels)

    def kernel_made(self, kernel_id: str, confined: bool, view: str = "") -> None:
        self._confined[kernel_id] = confined
        self._views[kernel_id] = view

    def is_confined(self, kernel_id: str) -> bool:
        return self._confined.get(kernel_id, False)

    def reaches(self, kernel_id: str, principal: Principal) -> bool:
        """Whether ``principal`` may see and use kernel ``kernel_id`` over HTTP: a
        guest whose link shares one folder or file only kernels started for it
        (their sandbox shows it alone)."""
        if not principal.scope or kernel_id not in self.kernel_manager:
            return True
        view = self._views.get(kernel_id, "")
        return bool(view) and policy.is_within(view, principal.scope)

    def run_refusal(self, kernel_id: str, principal: Principal) -> str | None:
        """Why ``principal`` may not run code in kernel ``kernel_id`` (None: it may).
        A guest may only where the sandbox holds the kernel, if there is a sandbox
        (without one, the operator chose to let guests' code run as the server's
        user), and a scoped guest only where it shows no more than its scope."""
        if principal.is_owner or self.sandbox is None or kernel_id not in self.kernel_manager:
            return None
        if not self.is_confined(kernel_id):
            return UNCONFINED_KERNEL
        if not self.reaches(kernel_id, principal):
            return WIDER_KERNEL
        return None

    def kernels_off(self, principal: Principal) -> dict[str, t.Any]:
        """Which kernels ``principal`` may not connect to, and why, for its Lab to
        open no socket the server would refuse: ``refused``, why it may connect to
        none (the policy refuses it running code); ``off``, the running kernels it
        may not reach (:meth:`run_refusal`: the owner's unconfined kernels, and for a
        scoped guest those not started for its scope) and
        why; ``ask``, whether a kernel started later may be off too (so its Lab
        asks again before connecting to a kernel it has not been told about)."""
        if not policy.allows(principal, policy.EXECUTE, "kernels"):
            why = policy.refusal(principal, policy.EXECUTE, "kernels")
            return {"refused": why, "off": {}, "ask": False}
        refusals = {
            kernel_id: self.run_refusal(kernel_id, principal)
            for kernel_id in self.kernel_manager.list_kernel_ids()
        }
        off = {kernel_id: why for kernel_id, why in refusals.items() if why is not None}
        # a kernel started later may be off too: the owner's unconfined ones, and
        # any a scoped guest did not start for its scope
        ask = (
            not principal.is_owner
            and self.sandbox is not None
            and (not self.confine_owner_kernels or bool(principal.scope))
        )
        return {"refused": None, "off": off, "ask": ask}

    def on_restarted(self, callback: t.Callable[[str, Access], None]) -> None:
        self._on_restarted.append(callback)

    # -- what guests start ------------------------------------------------------------
    def kernel_started(self, kernel_id: str, principal: Principal) -> None:
        if principal.link_id is None:
            return
        self._kernels[kernel_id] = principal.link_id
        self.log.info(
            "capella-share: kernel %s started by a guest of link %s", kernel_id, principal.link_id
        )
        if self.activity is not None:
            kernel = self.kernel_manager.get_kernel(kernel_id)
            name = getattr(kernel, "kernel_name", None)
            self.activity.guest(principal, "kernel.start", kernel=kernel_id, kernel_name=name)
        if not self._live(principal.link_id):
            # the link ended while the kernel was starting
            self._end_unused_kernels()

    def may_use_terminal(self, name: str, principal: Principal) -> bool:
        """Whether ``principal`` may use terminal ``name``: the owner any, a guest
        only those its link's guests opened."""
        if principal.is_owner:
            return True
        opened = self._terminals.get(name)
        return opened is not None and opened[1] == principal.link_id

    def terminal_started(self, manager: t.Any, name: str, principal: Principal) -> None:
        if principal.link_id is None:
            return
        self._terminals[name] = (manager, principal.link_id)
        self.log.info(
            "capella-share: terminal %s created by a guest of link %s", name, principal.link_id
        )
        if self.activity is not None:
            self.activity.guest(principal, "terminal.open", terminal=name)
        if not self._live(principal.link_id):
            self._end_terminals(principal.link_id)

    def kernel_gone(self, kernel_id: str) -> None:
        """The kernel was shut down or died: forget everything about it."""
        self._kernels.pop(kernel_id, None)
        self._sockets.pop(kernel_id, None)
        self._executions.pop(kernel_id, None)
        self._confined.pop(kernel_id, None)
        self._views.pop(kernel_id, None)
        for ran in self._ran.values():
            ran.discard(kernel_id)
        self._stop_watching(kernel_id)

    # -- kernel websockets --------------------------------------------------------------
    def socket_opened(self, kernel_id: str, handler: WebSocketHandler, who: Principal) -> None:
        self._sockets.setdefault(kernel_id, weakref.WeakKeyDictionary())[handler] = who
        if not who.is_owner:
            # before the guest can send anything: its requests' status must be seen
            self._watch(kernel_id)

    def socket_closed(self, kernel_id: str, handler: WebSocketHandler) -> None:
        sockets = self._sockets.get(kernel_id)
        if sockets is not None:
            sockets.pop(handler, None)
            if not sockets:
                self._sockets.pop(kernel_id, None)
        self._stop_watching_if_unused(kernel_id)

    def execution_sent(
        self, kernel_id: str, who: Principal, msg_id: str, details: dict[str, t.Any] | None = None
    ) -> None:
        """A guest sent ``execute_request`` ``msg_id`` to the kernel (``details``:
        what the trail keeps of it)."""
        if who.link_id is None:
            return
        if self.activity is not None:
            self.activity.guest(who, "kernel.execute", kernel=kernel_id, **(details or {}))
        self._ran.setdefault(who.link_id, set()).add(kernel_id)
        pending = self._executions.setdefault(kernel_id, {})
        execution = pending.get(msg_id)
        if execution is None or execution.link_id != who.link_id:
            pending[msg_id] = _Execution(who.link_id)
        else:
            execution.count += 1
        while len(pending) > self.max_pending_executions:
            pending.pop(next(iter(pending)))

    # -- what the kernel runs (from our IOPub stream) ---------------------------------------
    def _status(self, kernel_id: str, state: str, parent_id: str | None) -> None:
        pending = self._executions.get(kernel_id)
        if state == "starting":
            # a (re)started kernel runs nothing it was sent before
            self._executions.pop(kernel_id, None)
            self._stop_watching_if_unused(kernel_id)
        elif pending is None or parent_id not in pending:
            return
        elif state == "busy":
            execution = pending[parent_id]
            execution.started = True
            if not self._live(execution.link_id):
                # queued when its link ended: it must not run now
                self._interrupt(kernel_id, parent_id)
        elif state == "idle":
            execution = pending[parent_id]
            execution.count -= 1
            execution.started = False
            if execution.count > 0:
                return
            del pending[parent_id]
            if not pending:
                self._executions.pop(kernel_id, None)
                self._stop_watching_if_unused(kernel_id)

    def _watch(self, kernel_id: str) -> None:
        if kernel_id in self._watches:
            return
        try:
            stream, session = upstream.iopub_stream(self.kernel_manager, kernel_id)
        except Exception as error:
            self.log.warning(
                "capella-share: cannot follow what kernel %s runs (%s); a revoked guest's "
                "execution there is interrupted whenever the kernel is busy",
                kernel_id,
                error,
            )
            return
        stream.on_recv(partial(self._on_iopub, kernel_id, session))
        self._watches[kernel_id] = stream

    def _on_iopub(self, kernel_id: str, session: t.Any, msg_list: list[bytes]) -> None:
        status = upstream.kernel_status(session, msg_list)
        if status is not None:
            self._status(kernel_id, *status)

    def _stop_watching_if_unused(self, kernel_id: str) -> None:
        guests = [p for p in self._sockets.get(kernel_id, {}).values() if not p.is_owner]
        if not guests and not self._executions.get(kernel_id):
            self._stop_watching(kernel_id)

    def _stop_watching(self, kernel_id: str) -> None:
        stream = self._watches.pop(kernel_id, None)
        if stream is not None and not stream.closed():
            stream.close()

    # -- a link ends ----------------------------------------------------------------------
    def end_link(self, link: Access, reason: str) -> dict[str, t.Any]:
        """End what the link's guests started; say what (for the trail)."""
        self._forget_gone_kernels()
        terminals = self._end_terminals(link.id)
        ending = self._end_unused_kernels()
        shut_down = sorted(ending)
        ran = self._ran.pop(link.id, set()) - ending
        restarted = []
        if self.restart_kernels_guests_ran:
            for kernel_id in sorted(ran):
                if kernel_id in self.kernel_manager:
                    ending.add(kernel_id)
                    restarted.append(kernel_id)
                    self._spawn(self._restart(kernel_id, link))
        interrupted = 0
        for kernel_id, pending in list(self._executions.items()):
            if kernel_id in ending:
                continue
            mine = [m for m, e in pending.items() if e.link_id == link.id]
            running = [m for m in mine if pending[m].started]
            if running:
                self._interrupt(kernel_id, running[0])
                interrupted += 1
            elif mine and kernel_id not in self._watches and self._busy(kernel_id):
                # nothing tells what the kernel runs: assume it is the guest's
                self._interrupt(kernel_id, mine[0])
                interrupted += 1
        ended = {
            "terminals": terminals,
            "kernels_shut_down": shut_down,
            "kernels_restarted": restarted,
            "executions_interrupted": interrupted,
        }
        return {key: value for key, value in ended.items() if value}

    def _end_terminals(self, link_id: str) -> list[str]:
        ended = []
        for name, (manager, owner) in list(self._terminals.items()):
            if owner != link_id:
                continue
            del self._terminals[name]
            ended.append(name)
            self._spawn(self._terminate(manager, name, link_id))
        return ended

    def _end_unused_kernels(self) -> set[str]:
        """Shut down the kernels started by guests of ended links that no one else
        uses; return their ids. A kernel the owner has open becomes the owner's."""
        ending: set[str] = set()
        for kernel_id, link_id in list(self._kernels.items()):
            if self._live(link_id):
                continue
            users = self._users(kernel_id)
            if users == "guests":
                continue  # reconsidered when those links end
            del self._kernels[kernel_id]
            if users == "owner" or not self.end_guest_kernels:
                self.log.info(
                    "capella-share: kernel %s of ended link %s is kept for the owner",
                    kernel_id,
                    link_id,
                )
                continue
            ending.add(kernel_id)
            self._spawn(self._shutdown(kernel_id, link_id))
        return ending

    def _users(self, kernel_id: str) -> str | None:
        """Who has the kernel open: "owner" if the owner does, "guests" if only
        guests of live links do, None if no one does."""
        users = None
        for handler, who in list(self._sockets.get(kernel_id, {}).items()):
            if not is_open(handler):
                continue
            if who.is_owner:
                return "owner"
            if who.link_id is not None and self._live(who.link_id):
                users = "guests"
        return users

    def _forget_gone_kernels(self) -> None:
        known = set(self._kernels) | set(self._sockets) | set(self._executions)
        for kernel_id in known | set(self._watches):
            if kernel_id not in self.kernel_manager:
                self.kernel_gone(kernel_id)

    # -- ending processes ----------------------------------------------------------------
    async def _shutdown(self, kernel_id: str, link_id: str) -> None:
        if kernel_id not in self.kernel_manager:
            return
        self.log.info(
            "capella-share: shutting down kernel %s, started by a guest of ended link %s",
            kernel_id,
            link_id,
        )
        # at once: a revoked guest's code gets no clean-up time to run in
        await ensure_async(self.kernel_manager.shutdown_kernel(kernel_id, now=True))

    async def _restart(self, kernel_id: str, link: Access) -> None:
        self.log.info(
            "capella-share: restarting kernel %s: a guest of ended link %s ran code in it",
            kernel_id,
            link.id,
        )
        self._executions.pop(kernel_id, None)
        await ensure_async(self.kernel_manager.restart_kernel(kernel_id, now=True))
        for callback in self._on_restarted:
            callback(kernel_id, link)

    async def _terminate(self, manager: t.Any, name: str, link_id: str) -> None:
        if name not in manager.terminals:
            return
        self.log.info(
            "capella-share: terminating terminal %s, created by a guest of ended link %s",
            name,
            link_id,
        )
        await manager.terminate(name, force=True)

    def _interrupt(self, kernel_id: str, msg_id: str) -> None:
        execution = self._executions.get(kernel_id, {}).get(msg_id)
        if execution is not None:
            if execution.interrupts >= self.interrupt_attempts:
                self.log.warning(
                    "capella-share: execution %s of ended link %s on kernel %s ignores "
                    "interrupts; the owner may restart the kernel",
                    msg_id,
                    execution.link_id,
                    kernel_id,
                )
                return
            execution.interrupts += 1
            # interrupted again if it is still running a second from now
            IOLoop.current().call_later(1, self._interrupt_again, kernel_id, msg_id)
        self.log.info("capella-share: interrupting an ended guest's execution on %s", kernel_id)
        self._spawn(ensure_async(self.kernel_manager.interrupt_kernel(kernel_id)))

    def _interrupt_again(self, kernel_id: str, msg_id: str) -> None:
        execution = self._executions.get(kernel_id, {}).get(msg_id)
        if execution is not None and execution.started and kernel_id in self.kernel_manager:
            self._interrupt(kernel_id, msg_id)

    async def settle(self, timeout: float = 10) -> None:
        """Wait, up to ``timeout`` seconds, for the processes being ended to be
        ended: a server that stops ends its guests' terminals and kernels before
        it goes, rather than leaving that work pending when its loop closes."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def _spawn(self, work: t.Awaitable[t.Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[t.Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log.error(
                "capella-share: could not end a revoked guest's process: %s", task.exception()
            )

    # -- helpers --------------------------------------------------------------------------
    def _live(self, link_id: str) -> bool:
        return self.links.get(link_id) is not None

    def _busy(self, kernel_id: str) -> bool:
        try:
            state: str | None = self.kernel_manager.kernel_model(kernel_id).get("execution_state")
            return state == "busy"
        except Exception:
            return False

    def wiring_problem(self, serverapp: t.Any) -> str | None:
        """Why guests' processes could not be ended, or None when all is in place."""
        if not isinstance(serverapp.kernel_manager, GuestKernelsMixin):
            return "the server's kernel manager is not capella-share's"
        terminals = upstream.terminal_manager(serverapp.web_app.settings)
        if terminals is not None and not isinstance(terminals, GuestTerminalsMixin):
            return "the terminal manager is not capella-share's"
        handlers = upstream.kernel_socket_handlers(serverapp.web_app.default_router)
        if not handlers or not all(getattr(h, "_capella_tracked", False) for h in handlers):
            return "the kernel websocket route is not guarded by capella-share"
        return None


#: Why a guest may not use a kernel the sandbox does not hold.
UNCONFINED_KERNEL = (
    "This kernel runs with the owner's full access (outside the sandbox), so a guest "
    "may not run code in it. Start a kernel of your own, or ask the owner."
)
#: Why a scoped guest may not use a kernel that sees more than its scope.
WIDER_KERNEL = (
    "This kernel sees more than this link shares, so a guest of the link may not run "
    "code in it. Start a kernel of your own, or ask the owner."
)
#: Why a guest may not use a terminal it did not open.
OTHERS_TERMINAL = "This terminal is not yours: it runs as its owner. Open a terminal of your own."


def _processes(manager: t.Any) -> ProcessManager | None:
    """The ProcessManager of the server a kernel or terminal manager belongs to."""
    web_app = getattr(getattr(manager, "parent", None), "web_app", None)
    return None if web_app is None else web_app.settings.get(PROCESSES_SETTING)


def _tracker(manager: t.Any, principal: Principal) -> ProcessManager | None:
    """The ProcessManager to tell about ``principal``'s new process; refuses a
    guest's when there is none (what it starts could not be ended)."""
    if principal.is_owner:
        return None
    processes = _processes(manager)
    if processes is None:
        raise web.HTTPError(503, "capella-share cannot track processes: guests may not start any.")
    return processes


class GuestKernelsMixin:
    """Kernel manager mixin: records which link's guest started each kernel."""

    async def start_kernel(
        self, *args: t.Any, kernel_id: str | None = None, **kwargs: t.Any
    ) -> str:
        principal = current_principal()
        processes = _tracker(self, principal)
        # asking for an existing kernel's id starts nothing
        new = kernel_id is None or kernel_id not in self  # type:ignore[operator]
        if new and principal.scope:
            kwargs["path"] = self._capella_scoped_path(principal, kwargs.get("path"))
        kernel_id = await super().start_kernel(*args, kernel_id=kernel_id, **kwargs)  # type:ignore[misc]
        manager = _processes(self)
        if new and manager is not None:
            kernel = self.get_kernel(kernel_id)  # type:ignore[attr-defined]
            confined = bool(getattr(kernel, "capella_confined", False))
            manager.kernel_made(kernel_id, confined, principal.scope if confined else "")
        if new and processes is not None:
            processes.kernel_started(kernel_id, principal)
        return kernel_id

    def _capella_scoped_path(self, principal: Principal, path: t.Any) -> str:
        """The folder a scoped guest's kernel works in: inside its scope (by
        default the scope's own folder); a 403 for any other."""
        root = getattr(self, "root_dir", "")
        if path is None:
            return scope.home(principal, root)
        if not isinstance(path, str) or not scope.may_work_in(principal, path, root):
            raise web.HTTPError(403, policy.scope_refusal(principal, str(path)))
        return path

    def list_kernels(self) -> list[dict[str, t.Any]]:
        kernels: list[dict[str, t.Any]] = super().list_kernels()  # type:ignore[misc]
        principal = principal_or_nobody()
        if principal is None:
            return []  # nobody sees nothing
        manager = _processes(self)
        if not principal.scope or manager is None:
            return kernels
        return [model for model in kernels if manager.reaches(model.get("id", ""), principal)]

    async def shutdown_all(self, now: bool = False) -> None:
        """Shut every kernel down, whatever state the manager is in, so that the
        server's stop (SIGTERM) finishes: a failed start is forgotten rather than
        shut down (upstream answers 404 for it and the stop never ends), a kernel
        gone meanwhile (a revoked guest's, ended at the same time) is no error,
        and a kernel that does not end within ``shutdown_wait`` seconds is killed."""
        failed = upstream.forget_failed_starts(self)
        if failed:
            self.log.info(  # type:ignore[attr-defined]
                "capella-share: forgot %d kernel starts that had failed", len(failed)
            )
        ids = list(self.list_kernel_ids())  # type:ignore[attr-defined]
        await asyncio.gather(*(self._shutdown_at_stop(kernel_id, now) for kernel_id in ids))

    #: seconds a kernel is given to shut down when the server stops
    shutdown_wait = 10.0

    async def _shutdown_at_stop(self, kernel_id: str, now: bool) -> None:
        try:
            await asyncio.wait_for(
                ensure_async(self.shutdown_kernel(kernel_id, now=now)),  # type:ignore[attr-defined]
                self.shutdown_wait,
            )
            return
        except web.HTTPError as error:
            if error.status_code == 404:
                return  # gone already
            problem: BaseException = error
        except Exception as error:  # the stop must go on
            problem = error
        self.log.warning(  # type:ignore[attr-defined]
            "capella-share: kernel %s did not shut down (%s); killing it", kernel_id, problem
        )
        with contextlib.suppress(Exception):
            kernel = self.get_kernel(kernel_id)  # type:ignore[attr-defined]
            await ensure_async(kernel.shutdown_kernel(now=True))
        with contextlib.suppress(Exception):
            self.remove_kernel(kernel_id)

    def pre_start_kernel(self, kernel_name: str | None, kwargs: t.Any) -> t.Any:
        km, name, kernel_id = super().pre_start_kernel(kernel_name, kwargs)  # type:ignore[misc]
        processes = _processes(self)
        principal = current_principal()
        if processes is not None and processes.confines(principal):
            upstream.compose_instance(km, ConfinedKernelManagerMixin)
            km.capella_sandbox = processes.sandbox
            km.capella_scope = principal.scope
        return km, name, kernel_id

    def remove_kernel(self, kernel_id: str) -> t.Any:
        # every way a kernel goes (shutdown, death, culling) ends here
        kernel = super().remove_kernel(kernel_id)  # type:ignore[misc]
        processes = _processes(self)
        if processes is not None:
            processes.kernel_gone(kernel_id)
        return kernel


class GuestTerminalsMixin:
    """Terminal manager mixin: records which link's guest created each terminal."""

    def create(self, **kwargs: t.Any) -> dict[str, t.Any]:
        principal = current_principal()
        processes = _tracker(self, principal)
        if principal.scope and processes is not None:
            kwargs["cwd"] = self._capella_scoped_cwd(processes, principal, kwargs.get("cwd"))
        if processes is not None and processes.sandbox is not None:
            # a guest's shell runs in the sandbox (the owner's stay the owner's own)
            sandbox = processes.sandbox
            plan = sandbox.plan(str(kwargs.get("cwd") or ""), scope=principal.scope)
            env = self.make_term_env()  # type:ignore[attr-defined]
            kwargs["shell_command"], _ = sandbox.wrap(list(self.shell_command), env, plan)  # type:ignore[attr-defined]
        model: dict[str, t.Any] = super().create(**kwargs)  # type:ignore[misc]
        if processes is not None:
            processes.terminal_started(self, model["name"], principal)
        return model

    @staticmethod
    def _capella_scoped_cwd(processes: ProcessManager, principal: Principal, cwd: t.Any) -> str:
        """Where a scoped guest's terminal starts: inside its scope (by default the
        scope's own folder); a 403 for anywhere else."""
        root = os.path.realpath(processes.root_dir)
        home = os.path.join(root, scope.home(principal, root))
        if not cwd:
            return home
        real = os.path.realpath(os.path.join(root, str(cwd)))
        inside = os.path.relpath(real, root).replace(os.sep, "/")
        if inside.startswith("..") or not scope.may_work_in(principal, inside, root):
            raise web.HTTPError(403, policy.scope_refusal(principal, str(cwd)))
        return real

    def list(self) -> list[dict[str, t.Any]]:
        terminals: list[dict[str, t.Any]] = super().list()  # type:ignore[misc]
        principal = principal_or_nobody()
        if principal is None:
            # nobody sees nothing: the terminals extension counts them so when
            # the server stops (outside any request), then ends them all
            return []
        processes = _processes(self)
        if not principal.scope or processes is None:
            return terminals
        return [
            model for model in terminals if processes.may_use_terminal(model["name"], principal)
        ]


def guard_kernel_socket(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """``KernelWebsocketHandler`` that tells the ProcessManager who has the kernel
    open and which executions a guest sends."""

    class TrackedKernelWebsocketHandler(cls):  # type:ignore[valid-type,misc]
        _capella_tracked = True
        _capella_who: Principal | None = None
        #: session type ("notebook", "console") -> its path, of this kernel's sessions
        _capella_sources: dict[str, str] = {}

        async def get(self, kernel_id: str, *args: t.Any, **kwargs: t.Any) -> None:
            who = principal_of(self.current_user)
            processes: ProcessManager | None = self.settings.get(PROCESSES_SETTING)
            refusal = None if processes is None else processes.run_refusal(kernel_id, who)
            if refusal is not None:
                raise web.HTTPError(403, refusal)
            await super().get(kernel_id, *args, **kwargs)

        async def open(self, kernel_id: str) -> None:
            who = principal_of(self.current_user)
            processes: ProcessManager | None = self.settings.get(PROCESSES_SETTING)
            if processes is None:
                if not who.is_owner:
                    self.close(1011, "capella-share cannot follow this kernel socket.")
                    return
            else:
                self._capella_who = who
                processes.socket_opened(self.kernel_id, self, who)
                if not who.is_owner and processes.activity is not None:
                    # which notebook or console uses this kernel, for the trail
                    self._capella_sources = await kernel_sources(self.session_manager, kernel_id)
            await super().open(kernel_id)

        def on_message(self, message: t.Any) -> t.Any:
            who = self._capella_who
            if who is not None and not who.is_owner:
                header = upstream.sent_header(self, message)
                if header is None:
                    # unreadable: the kernel could not read it either; not relayed
                    # unseen, as it might be an execution we could not end
                    self.log.warning("capella-share: dropped an unreadable kernel message")
                    return None
                kind = header.get("msg_type")
                processes: ProcessManager = self.settings[PROCESSES_SETTING]
                if kind == "execute_request":
                    processes.execution_sent(
                        self.kernel_id,
                        who,
                        str(header.get("msg_id", "")),
                        self._capella_execution(message) if processes.activity else None,
                    )
                elif kind == "interrupt_request" and processes.activity is not None:
                    processes.activity.guest(who, "kernel.interrupt", kernel=self.kernel_id)
            return super().on_message(message)

        def _capella_execution(self, message: t.Any) -> dict[str, t.Any]:
            """What the trail keeps of an execution: the code's hash and first line,
            the notebook (with the cell) or console it came from."""
            parts = upstream.sent_parts(self, message, ("metadata", "content")) or {}
            code = (parts.get("content") or {}).get("code")
            details: dict[str, t.Any] = code_summary(code if isinstance(code, str) else "")
            cell = (parts.get("metadata") or {}).get("cellId")
            kind = "notebook" if isinstance(cell, str) else "console"
            sources = self._capella_sources
            path = sources.get(kind) or (
                next(iter(sources.values())) if len(sources) == 1 else None
            )
            if path is not None:
                details["from"] = path
                details["from_type"] = kind if kind in sources else next(iter(sources))
            if isinstance(cell, str):
                details["cell"] = cell[:64]
            return details

        def on_close(self) -> None:
            super().on_close()
            processes: ProcessManager | None = self.settings.get(PROCESSES_SETTING)
            if processes is not None and self._capella_who is not None:
                processes.socket_closed(self.kernel_id, self)

    return upstream.named_as(TrackedKernelWebsocketHandler, cls, __name__)


def guard_kernel(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """A kernel's route (``api/kernels/<id>``, its interrupt and restart) that a
    guest whose link shares one folder or file reaches only for kernels started
    for it: to it, no other kernel exists."""

    def refuse_others(handler: web.RequestHandler, kernel_id: str) -> None:
        processes: ProcessManager | None = handler.settings.get(PROCESSES_SETTING)
        who = principal_of(handler.current_user)
        if processes is not None and not processes.reaches(kernel_id, who):
            raise web.HTTPError(404, f"Kernel does not exist: {kernel_id}")

    return _guarded_verbs(cls, refuse_others, ("get", "delete", "post"))


def _guarded_verbs(
    cls: type[web.RequestHandler],
    refuse: t.Callable[[web.RequestHandler, str], None],
    verbs: tuple[str, ...],
) -> type[web.RequestHandler]:
    """``cls`` whose ``verbs`` first call ``refuse(handler, the route's first argument)``."""
    members: dict[str, t.Any] = {"__module__": __name__}
    for verb in verbs:
        upstream_verb = getattr(cls, verb, None)
        if upstream_verb is None or upstream_verb is getattr(web.RequestHandler, verb):
            continue

        def guarded(
            self: web.RequestHandler, *args: t.Any, _verb: t.Any = upstream_verb, **kw: t.Any
        ) -> t.Any:
            # the route's first argument, positional or named (``kernel_id``)
            refuse(self, args[0] if args else next(iter(kw.values()), ""))
            return _verb(self, *args, **kw)

        members[verb] = guarded
    return type(cls.__name__, (cls,), members)


async def kernel_sources(session_manager: t.Any, kernel_id: str) -> dict[str, str]:
    """The sessions using a kernel: their type ("notebook", "console") -> path (every
    session, not the ones the guest in hand may list: the trail says what happened)."""
    every = getattr(session_manager, "every_session", session_manager.list_sessions)
    try:
        sessions = await ensure_async(every())
    except Exception:
        return {}
    return {
        str(session.get("type") or "notebook"): str(session.get("path", ""))
        for session in sessions
        if (session.get("kernel") or {}).get("id") == kernel_id
    }


def guard_terminal(cls: type[web.RequestHandler]) -> type[web.RequestHandler]:
    """A terminal's route (its websocket, ``api/terminals/<name>``) that lets a
    guest reach only the terminals its link's guests opened: the owner's run
    outside the sandbox."""

    def refuse_others(handler: web.RequestHandler, name: str) -> None:
        processes: ProcessManager | None = handler.settings.get(PROCESSES_SETTING)
        who = principal_of(handler.current_user)
        if not who.is_owner and (processes is None or not processes.may_use_terminal(name, who)):
            raise web.HTTPError(403, OTHERS_TERMINAL)

    return _guarded_verbs(cls, refuse_others, ("get", "delete"))
