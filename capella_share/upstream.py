"""Every reach into Jupyter's internals, in one place, and checked at start.

capella-share's promises rest on a few shapes of tornado, jupyter_server,
jupyterlab_server, jupyter-collaboration and JupyterHub that no public API
offers. Each is a small function here that says which versions it was checked
against and why nothing public serves. :func:`problems` checks, once every
extension has loaded, that each shape is still what these functions expect. The
app turns guest access off when one is not (links refused, guests nobody), so an
upgrade that moved something leaves guests out, never in: the owner's own use
goes on.

Checked against (the ranges pyproject.toml declares; CI tests the oldest and the
newest): tornado 6.4-6.6, jupyter_server 2.18-2.21, jupyterlab_server 2.28,
jupyter-collaboration 4.1-5 (jupyter_server_ydoc 2.4.2-3), JupyterHub 5.2-6.1.
"""

from __future__ import annotations

import inspect
import json
import os
import typing as t
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from jupyter_server.auth.identity import IdentityProvider
from jupyter_server.extension.application import ExtensionApp
from tornado import httputil, web
from tornado.routing import Router

#: The packages whose shapes are relied on, named in the error when one moved.
PACKAGES = (
    "tornado",
    "jupyter_server",
    "jupyterlab_server",
    "jupyterlab",
    "jupyter_server_ydoc",
    "jupyter_server_terminals",
    "jupyterhub",
)

#: The kernel websocket's binary protocol (jupyter_server's name for it).
V1_PROTOCOL = "v1.kernel.websocket.jupyter.org"

#: The jupyter_server extension that serves terminals.
TERMINALS_EXTENSION = "jupyter_server_terminals"

#: Yjs' message type of jupyter-collaboration's own messages (save requests and
#: their replies), after sync (0) and awareness (1).
RAW_MESSAGE = 2


@dataclass(frozen=True)
class Problem:
    """An upstream shape that is not what capella-share relies on."""

    touchpoint: str
    problem: str

    def to_model(self) -> dict[str, str]:
        return {"touchpoint": self.touchpoint, "problem": self.problem}


Check = Callable[[t.Any], "str | None"]
#: touchpoint name -> its check (given the ServerApp; returns what is wrong, or None)
CHECKS: dict[str, Check] = {}


def touchpoint(name: str) -> Callable[[Check], Check]:
    """Register ``check`` as the touchpoint ``name``'s. Our modules that wrap a
    shape found here register their own checks of it (the route guard checks the
    routes it classified), so this module imports none of them."""

    def register(check: Check) -> Check:
        CHECKS[name] = check
        return check

    return register


def installed_versions() -> str:
    found = []
    for package in PACKAGES:
        try:
            found.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return ", ".join(found)


def problems(serverapp: t.Any) -> list[Problem]:
    """What is not in place, once every extension has loaded."""
    found = []
    for name, check in CHECKS.items():
        try:
            problem = check(serverapp)
        except Exception as error:  # a check that cannot even look is a problem too
            problem = f"could not be checked ({type(error).__name__}: {error})"
        if problem:
            found.append(Problem(name, problem))
    return found


def _source_mentions(function: t.Any, *names: str) -> bool:
    """Whether ``function``'s source still names each of ``names``."""
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return all(name in source for name in names)


# -- jupyter_server: how an extension wires itself in ---------------------------------------


def extension_link_hook() -> str:
    """The name of ExtensionApp's hook run when the server links an extension,
    before it builds its identity provider, authorizer and managers (jupyter_server
    2.18-2.21: the extension manager calls it; no public hook runs that early, and
    ours must put its classes in front of the configured ones then)."""
    return "_link_jupyter_server_extension"


@touchpoint("extension hooks")
def _check_extension_hooks(serverapp: t.Any) -> str | None:
    for hook in (extension_link_hook(), "_start_jupyter_server_extension"):
        if not callable(getattr(ExtensionApp, hook, None)):
            return f"ExtensionApp.{hook} is gone"
    return None


def composed(mixin: type, base: type) -> type:
    """``base`` with ``mixin`` in front, unless it already has it."""
    if issubclass(base, mixin):
        return base
    return type(f"CapellaShare{base.__name__}", (mixin, base), {"__module__": __name__})


def compose_instance(instance: t.Any, mixin: type) -> None:
    """Put ``mixin`` in front of the class of a manager the server already made.

    The kernel manager's class depends on the server's gateway settings, known only
    once the server has made it (jupyter_server 2.18-2.21, ``init_configurables``);
    its instance is what the handlers and the other extensions hold."""
    instance.__class__ = composed(mixin, type(instance))


def follow_contents_events(serverapp: t.Any, listener: t.Callable[..., t.Any]) -> bool:
    """Have ``listener(logger, schema_id, data)`` hear the contents manager's events
    (jupyter_server 2.18-2.21: ``contents_service`` events with an ``action`` and
    the paths; the manager names their schema in ``event_schema_id``). False
    when the server emits none."""
    schema_id = getattr(serverapp.contents_manager, "event_schema_id", None)
    logger = getattr(serverapp, "event_logger", None)
    if not isinstance(schema_id, str) or logger is None:
        return False
    logger.add_listener(schema_id=schema_id, listener=listener)
    return True


@touchpoint("identity provider")
def _check_identity_provider(serverapp: t.Any) -> str | None:
    # a server without a token takes every visitor for the owner: knowing that is
    # what keeps a dead link's cookie from falling through to the owner
    if not isinstance(inspect.getattr_static(IdentityProvider, "auth_enabled", None), property):
        return "IdentityProvider.auth_enabled is no longer a property"
    if not callable(getattr(IdentityProvider, "is_token_authenticated", None)):
        return "IdentityProvider.is_token_authenticated is gone"
    return None


# -- tornado: routes, responses ------------------------------------------------------------


def routed_handlers(router: t.Any) -> t.Iterator[tuple[t.Any, type[web.RequestHandler]]]:
    """Every (rule, handler class) of a tornado router, nested routers included.
    tornado 6.4-6.6 reads ``rule.target`` at each request, so replacing it changes
    what serves the route (``Application.add_handlers`` documents no other way)."""
    for rule in getattr(router, "rules", []):
        target = rule.target
        if isinstance(target, Router):
            yield from routed_handlers(target)
        elif isinstance(target, type) and issubclass(target, web.RequestHandler):
            yield rule, target


def route_pattern(rule: t.Any) -> str:
    regex = getattr(rule.matcher, "regex", None)
    return regex.pattern if regex is not None else repr(rule.matcher)


def serving_class(serverapp: t.Any, path: str) -> type | None:
    """The handler class tornado picks for a GET of ``path`` (below the base URL)."""
    from jupyter_server.utils import url_path_join

    line = httputil.RequestStartLine("GET", url_path_join(serverapp.base_url, path), "HTTP/1.1")
    headers = httputil.HTTPHeaders({"Host": "127.0.0.1"})
    request = httputil.HTTPServerRequest(start_line=line, headers=headers)
    delegate = serverapp.web_app.default_router.find_handler(request)
    return getattr(delegate, "handler_class", None)


def set_route_target(rule: t.Any, target: type) -> None:
    """Serve ``target`` on a route found by :func:`routed_handlers`: tornado
    6.4-6.6 rules keep it in ``target``, read on each request."""
    rule.target = target


def add_first_transform(web_app: t.Any, transform: t.Any) -> None:
    """Put ``transform`` before every other output transform of ``web_app``
    (compression among them): tornado 6.4-6.6's ``Application.add_transform``
    only appends; each request takes its transforms from ``transforms``."""
    web_app.transforms.insert(0, transform)


def named_as(wrapper: type, cls: type, module: str | None = None) -> type:
    """``wrapper``, our subclass of upstream's handler ``cls``, under ``cls``'s
    name, so that tornado's log lines and error pages name the handler the
    server's own way; in our ``module``, or in ``cls``'s (None) for a handler the
    route guard must still know by its upstream name."""
    wrapper.__name__ = cls.__name__
    wrapper.__qualname__ = cls.__name__ if module is not None else cls.__qualname__
    wrapper.__module__ = module if module is not None else cls.__module__
    return wrapper


def is_finished(handler: web.RequestHandler) -> bool:
    """Whether a handler has answered. tornado 6.4-6.6 keeps it in ``_finished``
    and offers no public way to ask."""
    return bool(handler._finished)


@touchpoint("tornado handlers")
def _check_tornado(serverapp: t.Any) -> str | None:
    if not _source_mentions(web.RequestHandler.finish, "self._finished"):
        return "RequestHandler.finish no longer records _finished"
    delegate = getattr(web, "_HandlerDelegate", None)
    if not _source_mentions(getattr(delegate, "execute", None), "application.transforms"):
        return "tornado no longer gives each request the application's output transforms"
    if not isinstance(getattr(serverapp.web_app, "transforms", None), list):
        return "the web application has no list of output transforms"
    return None


# -- jupyterlab_server ---------------------------------------------------------------------


def page_config_hook_key() -> str:
    """The web app setting jupyterlab_server 2.28 calls on every Lab page's config
    (``LabConfig``'s ``page_config_hook``): the one place a guest's page is made."""
    return "page_config_hook"


def workspaces_of(handler: web.RequestHandler, folder: str | None = None) -> str:
    """The folder a workspaces handler stores in; with ``folder``, first point it
    there. jupyterlab_server 2.28's ``WorkspacesHandler`` keeps a
    ``WorkspacesManager`` in ``self.manager``, given by ``initialize``; no
    setting chooses it per request."""
    from jupyterlab_server.workspaces_handler import WorkspacesManager

    if folder is not None:
        handler.manager = WorkspacesManager(folder)  # type:ignore[attr-defined]
    return str(handler.manager.workspaces_dir)  # type:ignore[attr-defined]


def workspace_file_name(space_name: str) -> str:
    """The name of the file a workspace called ``space_name`` is saved in
    (jupyterlab_server 2.28: its ``slugify`` of the name, ``WORKSPACE_EXTENSION``)."""
    from jupyterlab_server.workspaces_handler import WORKSPACE_EXTENSION, slugify

    return f"{slugify(space_name)}{WORKSPACE_EXTENSION}"


def workspace_files(folder: Path) -> t.Iterator[Path]:
    """The workspaces saved in ``folder``."""
    from jupyterlab_server.workspaces_handler import WORKSPACE_EXTENSION

    return folder.glob("*" + WORKSPACE_EXTENSION)


def settings_dir_of(handler: web.RequestHandler, folder: str | None = None) -> str:
    """The folder a Lab settings handler keeps user settings in; with ``folder``,
    first point it there. jupyterlab_server 2.28's ``SettingsHandler`` reads and
    writes ``self.settings_dir``, set by ``SchemaHandler.initialize``; no setting
    chooses it per request."""
    if folder is not None:
        handler.settings_dir = folder  # type:ignore[attr-defined]
    return str(handler.settings_dir)  # type:ignore[attr-defined]


@touchpoint("Lab pages, workspaces and settings")
def _check_lab(serverapp: t.Any) -> str | None:
    try:
        from jupyterlab_server.handlers import LabHandler
        from jupyterlab_server.workspaces_handler import WorkspacesHandler, WorkspacesManager
    except ImportError:
        return None  # no Lab on this server: nothing relies on it
    if not _source_mentions(LabHandler.get_page_config, page_config_hook_key()):
        return "LabHandler.get_page_config no longer calls the page_config_hook setting"
    if "manager" not in inspect.signature(WorkspacesHandler.initialize).parameters:
        return "WorkspacesHandler.initialize no longer takes its manager"
    if not _source_mentions(WorkspacesManager.__init__, "workspaces_dir"):
        return "WorkspacesManager no longer keeps its folder in workspaces_dir"
    if not workspace_file_name("a b").startswith("a"):
        return "workspace files are no longer named after their workspace"
    from jupyterlab_server.settings_handler import SettingsHandler

    for verb in (SettingsHandler.get, SettingsHandler.put):
        if not _source_mentions(verb, "self.settings_dir"):
            return f"SettingsHandler.{verb.__name__} no longer keeps user settings in settings_dir"
    hook = serverapp.web_app.settings.get(page_config_hook_key())
    if not getattr(hook, "capella_share", False):
        return "the page_config_hook setting is not capella-share's (it was replaced)"
    return None


# -- jupyter-collaboration -----------------------------------------------------------------


def room_of(handler: t.Any) -> str:
    """The room a document websocket serves: ``path`` (jupyter_server_ydoc 2-3:
    the room id, under the name pycrdt-websocket's ``WebsocketServer`` reads)."""
    return t.cast(str, handler.path)


def document_of_fork(room_id: str) -> str:
    """The room a fork was made from; ``room_id`` itself when it is no fork.
    jupyter_server_ydoc 2-3 keep forks in the module dict ``FORK_ROOMS`` only."""
    from jupyter_server_ydoc.handlers import FORK_ROOMS

    fork = FORK_ROOMS.get(room_id)
    return str(fork["root_roomid"]) if fork is not None else room_id


def raw_message(message: dict[str, t.Any]) -> bytes:
    """A jupyter-collaboration message (a save reply): Yjs var-uint type 2, then
    its JSON as a var-string, as ``YDocWebSocketHandler._encode_json_message``
    makes it (jupyter_server_ydoc 2-3)."""
    from pycrdt import Encoder

    encoder = Encoder()
    encoder.write_var_uint(RAW_MESSAGE)
    encoder.write_var_string(json.dumps(message))
    return encoder.to_bytes()


def room_ydoc(handler: t.Any) -> t.Any:
    """The pycrdt document of the room a document websocket serves, None before
    it has one (jupyter_server_ydoc 2-3: ``prepare`` sets ``self.room``, a
    pycrdt-websocket ``YRoom``, whose ``ydoc`` the room applies every update to)."""
    return getattr(getattr(handler, "room", None), "ydoc", None)


def _room_parts(room_id: str) -> tuple[str, str, str] | None:
    """(format, content type, file id) of a document room, as jupyter_server_ydoc
    2-3 name them (``encode_file_path``: ``<format>:<type>:<file id>``); None for
    rooms that hold no file (awareness)."""
    from jupyter_server_ydoc.utils import decode_file_path

    try:
        parts = decode_file_path(room_id)
    except ValueError:
        return None
    return parts if all(parts) else None


def room_file_id(room_id: str) -> str | None:
    """The id of the file a document room edits; None for rooms that hold none."""
    parts = _room_parts(room_id)
    return None if parts is None else parts[2]


def document_rooms(settings: t.Mapping[str, t.Any], path: str) -> list[str]:
    """The rooms a notebook at ``path`` is edited live in: ``json:notebook:<its
    file id>``, as jupyter-collaboration names them (none without it, or when
    the file has no id: it was never opened live)."""
    from jupyter_server_ydoc.utils import encode_file_path

    found = file_id(settings, path)
    return [] if found is None else [encode_file_path("json", "notebook", found)]


def _ydoc_app(serverapp: t.Any) -> t.Any | None:
    """jupyter-collaboration's server extension app, if it runs here."""
    apps = serverapp.extension_manager.extension_apps.get("jupyter_server_ydoc")
    return next(iter(apps), None) if apps else None


def live_documents(serverapp: t.Any) -> list[tuple[str, str]]:
    """(file id, contents path) of every file edited live now: one per document
    room of jupyter_server_ydoc 2-3's websocket server (``ywebsocket_server``,
    whose ``rooms`` are named ``<format>:<type>:<file id>``)."""
    app = _ydoc_app(serverapp)
    server = getattr(app, "ywebsocket_server", None)
    ids = serverapp.web_app.settings.get("file_id_manager")
    if server is None or ids is None:
        return []
    found = []
    for room_id in list(server.rooms):
        room_file = room_file_id(room_id)
        path = ids.get_path(room_file) if room_file is not None else None
        if room_file is not None and path is not None:
            found.append((room_file, str(path).strip("/")))
    return found


async def stop_watching(serverapp: t.Any, file_ids: t.Iterable[str]) -> None:
    """Stop polling these files for changes on disk (they were deleted): each
    poll would log "Error watching file" with a traceback. jupyter_server_ydoc
    2-3 keep a ``FileLoader`` per live file in the app's ``file_loaders``;
    ``clean()`` ends its watch, the room goes on until its clients leave."""
    app = _ydoc_app(serverapp)
    loaders = getattr(app, "file_loaders", None)
    for file_id in file_ids:
        if loaders is not None and file_id in loaders:
            await loaders[file_id].clean()


def file_id(settings: t.Mapping[str, t.Any], path: str) -> str | None:
    """The id jupyter-collaboration's file id manager gives the file at ``path``
    (its document rooms end with it); None without one, or for a file never
    opened live."""
    manager = settings.get("file_id_manager")
    try:
        found = manager.get_id(path) if manager is not None else None
    except Exception:
        return None
    return None if found is None else str(found)


def room_file_path(settings: t.Mapping[str, t.Any], room_id: str) -> str | None:
    """The contents path of the file a document room (``<format>:<type>:<file
    id>``) edits, by jupyter_server_ydoc 2-3's ``decode_file_path`` and the file
    id manager; None when the id names no file."""
    found = room_file_id(room_id)
    path = settings["file_id_manager"].get_path(found) if found is not None else None
    return None if path is None else str(path)


def room_document_type(room_id: str) -> str | None:
    """The content type ("notebook", "file") of a document room's file; None for
    rooms that hold no file. Document rooms are ``<format>:<type>:<file id>``
    (jupyter_server_ydoc 2-3, ``encode_file_path``)."""
    parts = _room_parts(room_id)
    return None if parts is None else parts[1]


# -- jupyter_ydoc: a notebook's shared model ------------------------------------------------
# jupyter_ydoc 2-4 (JupyterLab 4's @jupyter/ydoc): root "cells", an Array of Maps,
# each with "id", "metadata" (a Map; "trusted" in it) and, for code cells, "outputs".


def notebook_cells(doc: t.Any) -> t.Any:
    """A notebook document's cells (a pycrdt Array of Maps)."""
    from pycrdt import Array

    return doc.get("cells", type=Array)


def cell_id(cell: t.Any) -> t.Any:
    return cell.get("id")


def cell_trusted(cell: t.Any) -> bool:
    """Whether a cell says it is trusted (JupyterLab makes its model trusted then)."""
    metadata = cell.get("metadata")
    return bool(metadata is not None and hasattr(metadata, "get") and metadata.get("trusted"))


def untrust_cell(cell: t.Any) -> None:
    from pycrdt import Map

    metadata = cell.get("metadata")
    if isinstance(metadata, Map):
        metadata["trusted"] = False
    else:
        cell["metadata"] = Map({"trusted": False})


def replace_cell_untrusted(cells: t.Any, index: int) -> None:
    """Put an untrusted copy of cell ``index`` in its place, made as jupyter_ydoc
    makes cells (``YNotebook.create_ycell``)."""
    from jupyter_ydoc import YNotebook

    value = cells[index].to_py()
    value["metadata"] = {**(value.get("metadata") or {}), "trusted": False}
    state = value.get("execution_state")
    cell = YNotebook.create_ycell(YNotebook.__new__(YNotebook), value)
    del cells[index]
    cells.insert(index, cell)
    if state is not None and cells[index].get("execution_state") != state:
        cells[index]["execution_state"] = state


@touchpoint("RTC documents")
def _check_rtc(serverapp: t.Any) -> str | None:
    if "jupyter_server_ydoc" not in serverapp.extension_manager.extension_apps:
        return None  # no collaboration on this server: nothing relies on it
    from jupyter_server_ydoc import handlers

    if not isinstance(getattr(handlers, "FORK_ROOMS", None), dict):
        return "jupyter_server_ydoc.handlers.FORK_ROOMS is gone"
    path = inspect.getattr_static(handlers.YDocWebSocketHandler, "path", None)
    if not isinstance(path, property):
        return "YDocWebSocketHandler.path is no longer the room id"
    message_type = getattr(handlers, "MessageType", None)
    if getattr(message_type, "RAW", None) != RAW_MESSAGE:
        return "jupyter-collaboration's own messages no longer have Yjs type 2"
    if not _source_mentions(handlers.YDocWebSocketHandler.prepare, "self.room"):
        return "YDocWebSocketHandler no longer keeps its room in self.room"
    from jupyter_server_ydoc.app import YDocExtension
    from jupyter_server_ydoc.loaders import FileLoader

    if not _source_mentions(
        YDocExtension.initialize_handlers, "self.file_loaders", "self.ywebsocket_server"
    ):
        return "YDocExtension no longer keeps file_loaders and ywebsocket_server"
    if not callable(getattr(FileLoader, "clean", None)):
        return "jupyter_server_ydoc's FileLoader no longer has clean()"
    return _check_notebook_model()


def _check_notebook_model() -> str | None:
    """A notebook made by jupyter_ydoc has the shape the trust guard reads."""
    from jupyter_ydoc import YNotebook
    from pycrdt import Doc, Map

    if not callable(getattr(YNotebook, "create_ycell", None)):
        return "jupyter_ydoc's YNotebook no longer has create_ycell"
    doc: Doc[t.Any] = Doc()
    notebook = YNotebook(doc)
    cell = {"cell_type": "code", "id": "c", "source": "", "metadata": {"trusted": True}}
    notebook.append_cell({**cell, "outputs": [], "execution_count": None})
    cells = notebook_cells(doc)
    if len(cells) != 1 or not isinstance(cells[0], Map) or not cell_trusted(cells[0]):
        return "a notebook's cells are no longer Maps with metadata.trusted"
    replace_cell_untrusted(cells, 0)
    if cell_trusted(cells[0]) or cell_id(cells[0]) != "c":
        return "an untrusted copy of a cell could not be made"
    return None


# -- kernels and terminals -----------------------------------------------------------------


def terminal_apps(serverapp: t.Any) -> list[t.Any]:
    """The terminals extension's app objects, whose ``terminal_manager_class``
    trait chooses the terminal manager (jupyter_server_terminals 0.5: the manager
    is made from it in ``initialize_settings``, after this extension links)."""
    apps = serverapp.extension_manager.extension_apps.get(TERMINALS_EXTENSION, set())
    return [app for app in apps if app.has_trait("terminal_manager_class")]


def terminal_manager(settings: dict[str, t.Any]) -> t.Any:
    """The terminal manager in use, None without terminals (jupyter_server_terminals
    0.5 puts it in the web app's settings, where its handlers find it)."""
    return settings.get("terminal_manager")


def kernel_socket_handlers(router: Router) -> list[type]:
    """The handler classes of the kernel websocket routes (jupyter_server 2.18-2.21:
    ``KernelWebsocketHandler`` at ``api/kernels/<id>/channels``)."""
    from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

    return [cls for _, cls in routed_handlers(router) if issubclass(cls, KernelWebsocketHandler)]


def forget_failed_starts(kernel_manager: t.Any) -> list[str]:
    """Drop the kernels whose start failed from the manager's pending starts; their
    ids. jupyter_client 8 (``MultiKernelManager._add_kernel_when_ready``) keeps a
    failed start in ``_pending_kernels`` for good, without a manager, and its
    ``shutdown_all`` then asks jupyter_server to shut that id down, which answers
    404 and leaves the server's stop unfinished. No public API lists them."""
    pending = getattr(kernel_manager, "_pending_kernels", None)
    if not isinstance(pending, dict):
        return []
    failed = [
        kernel_id
        for kernel_id, task in list(pending.items())
        if kernel_id not in kernel_manager and getattr(task, "done", lambda: False)()
    ]
    for kernel_id in failed:
        pending.pop(kernel_id, None)
    return failed


def sent_header(handler: t.Any, message: t.Any) -> dict[str, t.Any] | None:
    """The header of a message a client sent over a kernel websocket, or None.

    jupyter_server 2.18-2.21 read three wire forms (``ZMQChannelsWebsocketConnection.
    handle_incoming_message``): under the "v1.kernel.websocket.jupyter.org"
    subprotocol, binary offsets then channel, header, parent header, metadata and
    content, each packed by the connection's session; otherwise JSON text, or the
    binary form with buffers. We decode with the same functions.
    """
    parts = sent_parts(handler, message, ("header",))
    return None if parts is None else parts["header"]


def sent_parts(
    handler: t.Any, message: t.Any, names: tuple[str, ...] = ("header", "metadata", "content")
) -> dict[str, t.Any] | None:
    """The parts named (header, metadata, content) of a message a client sent over
    a kernel websocket, each a dict; None if it cannot be read (see sent_header)."""
    from jupyter_server.services.kernels.connection.base import (
        deserialize_binary_message,
        deserialize_msg_from_ws_v1,
    )

    order = ("header", "parent_header", "metadata", "content")
    try:
        if handler.selected_subprotocol == V1_PROTOCOL:
            _, raw = deserialize_msg_from_ws_v1(message)  # type:ignore[no-untyped-call]
            session = getattr(handler.connection, "session", None)
            unpack = session.unpack if session is not None else json.loads
            parts = {name: unpack(raw[order.index(name)]) for name in names}
        elif isinstance(message, bytes):
            whole = deserialize_binary_message(message)  # type:ignore[no-untyped-call]
            parts = {name: whole[name] for name in names}
        else:
            whole = json.loads(message)
            parts = {name: whole[name] for name in names}
    except Exception:
        return None
    return parts if all(isinstance(part, dict) for part in parts.values()) else None


def iopub_stream(kernel_manager: t.Any, kernel_id: str) -> tuple[t.Any, t.Any]:
    """A new IOPub stream on the kernel and a Session to read it.

    ``MultiKernelManager.connect_iopub`` is public (a ZMQStream, as the server's
    kernel managers are IOLoop ones); the Session copies the kernel's key as
    jupyter_server's own activity watcher does (``start_watching_activity``), so
    that reading does not disturb the kernel manager's session.
    """
    from jupyter_client.session import Session

    kernel = kernel_manager.get_kernel(kernel_id)
    session = Session(config=kernel.session.config, key=kernel.session.key)
    stream = kernel_manager.connect_iopub(kernel_id)
    if not hasattr(stream, "on_recv"):
        stream.close()
        raise TypeError("connect_iopub did not give a stream")
    return stream, session


def kernel_status(session: t.Any, msg_list: list[bytes]) -> tuple[str, str | None] | None:
    """(execution_state, the msg_id of the request it is about) of an IOPub
    ``status`` message, else None (Jupyter messaging protocol 5)."""
    try:
        _, parts = session.feed_identities(msg_list)
        msg = session.deserialize(parts, content=False)
        if msg["header"]["msg_type"] != "status":
            return None
        content = session.unpack(msg["content"])
        parent = (msg.get("parent_header") or {}).get("msg_id")
        return str(content["execution_state"]), parent
    except Exception:
        return None


@touchpoint("kernel messages")
def _check_kernel_messages(serverapp: t.Any) -> str | None:
    try:
        from jupyter_server.services.kernels.connection import base
    except ImportError:
        return "jupyter_server.services.kernels.connection.base is gone"
    for name in ("deserialize_binary_message", "deserialize_msg_from_ws_v1"):
        if not callable(getattr(base, name, None)):
            return f"jupyter_server's kernel connection no longer has {name}"
    if not kernel_socket_handlers(serverapp.web_app.default_router):
        return "no route serves kernel websockets with KernelWebsocketHandler"
    if not isinstance(getattr(serverapp.kernel_manager, "_pending_kernels", None), dict):
        return "the kernel manager no longer keeps its pending starts in _pending_kernels"
    return None


# -- JupyterHub ------------------------------------------------------------------------------


def in_hub(environ: t.Mapping[str, str] = os.environ) -> bool:
    """Whether this server runs as a JupyterHub single-user server: JupyterHub
    5.2-6.1's spawners give it the hub's API URL and a token for it in the
    environment."""
    return bool(environ.get("JUPYTERHUB_API_TOKEN") and environ.get("JUPYTERHUB_API_URL"))


def hub_server(environ: t.Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """(its user, its server's name: "" for the default one) of this server under
    JupyterHub, as the spawners put them in the environment; None outside a hub."""
    if not in_hub(environ):
        return None
    return environ.get("JUPYTERHUB_USER", ""), environ.get("JUPYTERHUB_SERVER_NAME", "")


def hub_user_model(user: t.Any) -> dict[str, t.Any]:
    """The hub's model of the user a single-user server authenticated (JupyterHub
    5.2-6.1: ``JupyterHubUser.hub_user``), {} when there is none."""
    model = getattr(user, "hub_user", None)
    return model if isinstance(model, dict) else {}


@touchpoint("JupyterHub users")
def _check_hub(serverapp: t.Any) -> str | None:
    if not in_hub():
        return None
    from jupyterhub.singleuser.extension import JupyterHubUser

    if "hub_user" not in getattr(JupyterHubUser, "__annotations__", {}):
        return "JupyterHubUser no longer carries the hub's user model (hub_user)"
    return None
