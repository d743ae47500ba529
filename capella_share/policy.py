"""The one permission policy.

Every path that decides whether something may happen asks :func:`allows`:
the Authorizer (HTTP handlers and websockets at open), the Lab route guard
(workspaces, settings), the connection manager (websockets while open),
the RTC guard and the project-share guard. Nothing else holds permission rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

READ = "read"
WRITE = "write"
EXECUTE = "execute"
ACTIONS = (READ, WRITE, EXECUTE)


class Level(str, Enum):
    """What a principal may do: the three link permissions and the owner."""

    VIEW = "view"
    EDIT = "edit"
    FULL = "full"
    OWNER = "owner"


#: Link permissions a guest can be given (the owner is not a link permission).
LINK_PERMISSIONS = (Level.VIEW.value, Level.EDIT.value, Level.FULL.value)

_R, _RW, _RX, _RWX, _NONE = "r", "rw", "rx", "rwx", ""

#: resource -> {level: allowed actions as letters}. A resource not listed here is
#: the owner's only. "own" marks resources a guest may use only in a space of its
#: own (Lab workspaces: the route guard maps each guest to a workspace of its own).
TABLE: dict[str, dict[Level, str]] = {
    # files and what reads them
    "contents": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    "nbconvert": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    "kernelspecs": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    "api": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    "csp": {Level.VIEW: _R, Level.EDIT: _RW, Level.FULL: _RW},
    # signing a notebook as trusted runs its outputs' scripts in the owner's
    # browser: what a guest writes is never signed, and no guest may trust
    "trust": {Level.VIEW: _NONE, Level.EDIT: _NONE, Level.FULL: _NONE},
    # copies of a document the server keeps (forks, history timelines): merged
    # into the document unseen, and kept until the server stops
    "forks": {Level.VIEW: _NONE, Level.EDIT: _NONE, Level.FULL: _NONE},
    # running code
    "kernels": {Level.VIEW: _R, Level.EDIT: _RWX, Level.FULL: _RWX},
    "sessions": {Level.VIEW: _R, Level.EDIT: _RWX, Level.FULL: _RWX},
    "lsp": {Level.VIEW: _R, Level.EDIT: _RWX, Level.FULL: _RWX},
    "terminals": {Level.VIEW: _NONE, Level.EDIT: _NONE, Level.FULL: _RWX},
    "events": {Level.VIEW: _RX, Level.EDIT: _RX, Level.FULL: _RWX},
    # the owner's configuration
    "config": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    # Lab settings and workspaces: a guest's are its own (the route guard keeps
    # them apart from the owner's)
    "settings": {Level.VIEW: "own", Level.EDIT: "own", Level.FULL: "own"},
    "workspaces": {Level.VIEW: "own", Level.EDIT: "own", Level.FULL: "own"},
    "server": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    # the extension manager fetches from the package index when asked
    "lab:extensions": {Level.VIEW: _NONE, Level.EDIT: _NONE, Level.FULL: _NONE},
    "lab:plugins": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    "lab:build": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    # Lab pages and what they read to draw themselves (themes, translations, licenses)
    "lab": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    # the visitor's own identity (api/me): a guest may rename itself, nothing more
    "identity": {Level.VIEW: _RW, Level.EDIT: _RW, Level.FULL: _RW},
    # what anyone may reach, logged in or not: static files, login, logout,
    # redirects and the 404 page (the secret filter cleans what they render)
    "public": {Level.VIEW: _RWX, Level.EDIT: _RWX, Level.FULL: _RWX},
    # capella-share itself
    "capella-share:session": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
    "capella-share:links": {Level.VIEW: _NONE, Level.EDIT: _NONE, Level.FULL: _NONE},
    "capella-share:shares": {Level.VIEW: _R, Level.EDIT: _R, Level.FULL: _R},
}

_LETTER = {READ: "r", WRITE: "w", EXECUTE: "x"}

#: Every route a guest may reach, by the class that serves it (module.qualname) ->
#: the resource its requests are judged as (GET/HEAD/OPTIONS read, other verbs
#: write; the handler's own Authorizer checks then apply on top). A route whose
#: class is not named here (another extension's, or an upstream class renamed or
#: moved) is refused to every guest: classify it here first.
ROUTES: dict[str, str] = {
    **dict.fromkeys(
        (
            "jupyter_server.base.handlers.FileFindHandler",
            "jupyter_server.base.handlers.PublicStaticFileHandler",
            "jupyter_server.base.handlers.TrailingSlashHandler",
            "jupyter_server.base.handlers.RedirectWithParams",
            "jupyter_server.base.handlers.APIVersionHandler",
            "jupyter_server.base.handlers.Template404",
            "jupyter_server.auth.login.LoginFormHandler",
            "jupyter_server.auth.logout.LogoutHandler",
            "jupyterhub.singleuser.extension.JupyterHubLogoutHandler",
            "jupyterhub.singleuser.extension.JupyterHubOAuthCallbackHandler",
            "jupyterlab_server.handlers.NotFoundHandler",
        ),
        "public",
    ),
    **dict.fromkeys(
        (
            "jupyter_server.base.handlers.MainHandler",
            "jupyterlab_server.handlers.LabHandler",
            "jupyterlab_server.translations_handler.TranslationsHandler",
            "jupyterlab_server.themes_handler.ThemesHandler",
            "jupyterlab_server.licenses_handler.LicensesHandler",
            "jupyterlab_server.listings_handler.ListingsHandler",
            # Notebook 7's pages
            "notebook.app.TreeHandler",
            "notebook.app.NotebookHandler",
            "notebook.app.FileHandler",
            "notebook.app.ConsoleHandler",
            "notebook.app.CustomCssHandler",
        ),
        "lab",
    ),
    "jupyterlab_server.settings_handler.SettingsHandler": "settings",
    "jupyterlab_server.workspaces_handler.WorkspacesHandler": "workspaces",
    "jupyterlab.handlers.extension_manager_handler.ExtensionHandler": "lab:extensions",
    "jupyterlab.handlers.plugin_manager_handler.PluginHandler": "lab:plugins",
    "jupyterlab.handlers.build_handler.BuildHandler": "lab:build",
    **dict.fromkeys(
        (
            "jupyter_server.services.api.handlers.APISpecHandler",
            "jupyter_server.services.api.handlers.APIStatusHandler",
        ),
        "api",
    ),
    "jupyter_server.services.api.handlers.IdentityHandler": "identity",
    **dict.fromkeys(
        (
            "jupyter_server.services.api.handlers.PathResolverHandler",
            "jupyter_server.services.contents.handlers.CheckpointsHandler",
            "jupyter_server.services.contents.handlers.ModifyCheckpointsHandler",
            "jupyter_server.services.contents.handlers.ContentsHandler",
            "jupyter_server.services.contents.handlers.NotebooksRedirectHandler",
            "jupyter_server.view.handlers.ViewHandler",
            "jupyter_server.files.handlers.FilesHandler",
            "jupyter_server.base.handlers.AuthenticatedFileHandler",
            "jupyter_server_fileid.handler.FileIDHandler",
            "jupyter_server_fileid.handler.FilePathHandler",
            "jupyter_server_ydoc.handlers.YDocWebSocketHandler",
            "jupyter_server_ydoc.handlers.DocSessionHandler",
        ),
        "contents",
    ),
    "jupyter_server.services.contents.handlers.TrustNotebooksHandler": "trust",
    **dict.fromkeys(
        (
            "jupyter_server_ydoc.handlers.DocForkHandler",
            "jupyter_server_ydoc.handlers.TimelineHandler",
            "jupyter_server_ydoc.handlers.UndoRedoHandler",
        ),
        "forks",
    ),
    "jupyter_server.services.config.handlers.ConfigHandler": "config",
    **dict.fromkeys(
        (
            "jupyter_server.services.kernels.handlers.MainKernelHandler",
            "jupyter_server.services.kernels.handlers.KernelHandler",
            "jupyter_server.services.kernels.handlers.KernelActionHandler",
            "jupyter_server.services.kernels.websocket.KernelWebsocketHandler",
        ),
        "kernels",
    ),
    **dict.fromkeys(
        (
            "jupyter_server.kernelspecs.handlers.KernelSpecResourceHandler",
            "jupyter_server.services.kernelspecs.handlers.MainKernelSpecHandler",
            "jupyter_server.services.kernelspecs.handlers.KernelSpecHandler",
        ),
        "kernelspecs",
    ),
    **dict.fromkeys(
        (
            "jupyter_server.nbconvert.handlers.NbconvertPostHandler",
            "jupyter_server.nbconvert.handlers.NbconvertFileHandler",
            "jupyter_server.services.nbconvert.handlers.NbconvertRootHandler",
        ),
        "nbconvert",
    ),
    "jupyter_server.services.security.handlers.CSPReportHandler": "csp",
    **dict.fromkeys(
        (
            "jupyter_server.services.sessions.handlers.SessionHandler",
            "jupyter_server.services.sessions.handlers.SessionRootHandler",
        ),
        "sessions",
    ),
    "jupyter_server.services.shutdown.ShutdownHandler": "server",
    **dict.fromkeys(
        (
            "jupyter_server.services.events.handlers.EventHandler",
            "jupyter_server.services.events.handlers.SubscribeWebsocket",
        ),
        "events",
    ),
    **dict.fromkeys(
        (
            "notebook.app.TerminalHandler",  # Notebook 7's terminal page
            "jupyter_server_terminals.handlers.TermSocket",
            "jupyter_server_terminals.api_handlers.TerminalRootHandler",
            "jupyter_server_terminals.api_handlers.TerminalHandler",
        ),
        "terminals",
    ),
    **dict.fromkeys(
        (
            "jupyter_lsp.handlers.LanguageServersHandler",
            "jupyter_lsp.handlers.LanguageServerWebSocketHandler",
        ),
        "lsp",
    ),
    "capella_share.handlers.InfoHandler": "capella-share:session",
    # a proxy's yes/no about link credentials, asked before anyone is admitted
    "capella_share.handlers.AuthCheckHandler": "public",
    "capella_share.handlers.SessionHandler": "capella-share:session",
    "capella_share.handlers.SessionSocket": "capella-share:session",
    "capella_share.handlers.LinksHandler": "capella-share:links",
    "capella_share.handlers.LinkHandler": "capella-share:links",
    "capella_share.handlers.UntrustedHandler": "capella-share:links",
    # what guests did: the owner's to read
    "capella_share.activity.handlers.ActivityHandler": "capella-share:links",
    "capella_share.grant_handlers.GrantsHandler": "capella-share:links",
    "capella_share.grant_handlers.GrantHandler": "capella-share:links",
    "capella_share.grant_handlers.DirectoryHandler": "capella-share:links",
    "capella_share.shares.handlers.SharesHandler": "capella-share:shares",
    "capella_share.shares.handlers.ShareHandler": "capella-share:shares",
    "capella_share.shares.handlers.ShareArchiveHandler": "capella-share:shares",
}


#: Routes a guest whose link shares one folder or file (a scope) may use: those
#: that hold no file paths at all, and those whose every path is judged against
#: the scope (by the contents manager, or by the guards of sessions, kernels,
#: terminals, events, documents and project shares). Any other route, classified
#: or not, is closed to a scoped guest: it could show or reach what lies beyond.
SCOPED_ROUTES: frozenset[str] = frozenset(
    (
        *(name for name, resource in ROUTES.items() if resource in ("public", "lab")),
        "jupyterlab_server.workspaces_handler.WorkspacesHandler",
        "jupyterlab_server.settings_handler.SettingsHandler",
        "jupyterlab.handlers.plugin_manager_handler.PluginHandler",
        "jupyterlab.handlers.build_handler.BuildHandler",
        "jupyter_server.services.api.handlers.APISpecHandler",
        "jupyter_server.services.api.handlers.APIStatusHandler",
        "jupyter_server.services.api.handlers.IdentityHandler",
        "jupyter_server.services.config.handlers.ConfigHandler",
        "jupyter_server.services.security.handlers.CSPReportHandler",
        "jupyter_server.services.shutdown.ShutdownHandler",
        "jupyter_server.kernelspecs.handlers.KernelSpecResourceHandler",
        "jupyter_server.services.kernelspecs.handlers.MainKernelSpecHandler",
        "jupyter_server.services.kernelspecs.handlers.KernelSpecHandler",
        "jupyter_server.nbconvert.handlers.NbconvertPostHandler",
        "jupyter_server.services.nbconvert.handlers.NbconvertRootHandler",
        # every path through the contents manager
        "jupyter_server.services.contents.handlers.CheckpointsHandler",
        "jupyter_server.services.contents.handlers.ModifyCheckpointsHandler",
        "jupyter_server.services.contents.handlers.ContentsHandler",
        "jupyter_server.services.contents.handlers.NotebooksRedirectHandler",
        "jupyter_server.view.handlers.ViewHandler",
        "jupyter_server.files.handlers.FilesHandler",
        "jupyter_server.base.handlers.AuthenticatedFileHandler",
        "jupyter_server.nbconvert.handlers.NbconvertFileHandler",
        # documents, by the path their room holds
        "jupyter_server_ydoc.handlers.YDocWebSocketHandler",
        "jupyter_server_ydoc.handlers.DocSessionHandler",
        # kernels and sessions by the notebooks they serve, terminals by their opener
        "jupyter_server.services.kernels.handlers.MainKernelHandler",
        "jupyter_server.services.kernels.handlers.KernelHandler",
        "jupyter_server.services.kernels.handlers.KernelActionHandler",
        "jupyter_server.services.kernels.websocket.KernelWebsocketHandler",
        "jupyter_server.services.sessions.handlers.SessionHandler",
        "jupyter_server.services.sessions.handlers.SessionRootHandler",
        "jupyter_server.services.events.handlers.EventHandler",
        "jupyter_server.services.events.handlers.SubscribeWebsocket",
        "notebook.app.TerminalHandler",
        "jupyter_server_terminals.handlers.TermSocket",
        "jupyter_server_terminals.api_handlers.TerminalRootHandler",
        "jupyter_server_terminals.api_handlers.TerminalHandler",
        "capella_share.handlers.InfoHandler",
        "capella_share.handlers.AuthCheckHandler",
        "capella_share.handlers.SessionHandler",
        "capella_share.handlers.SessionSocket",
        "capella_share.shares.handlers.SharesHandler",
        "capella_share.shares.handlers.ShareHandler",
        "capella_share.shares.handlers.ShareArchiveHandler",
    )
)


@dataclass(frozen=True)
class Principal:
    """Who is asking: the owner, or a guest holding a link of some permission,
    which may share one folder or file of the session only (its ``scope``)."""

    level: Level
    username: str = ""
    link_id: str | None = None
    #: the contents path of the one folder or file a guest's link shares; ""
    #: for the whole session
    scope: str = ""

    @property
    def is_owner(self) -> bool:
        return self.level is Level.OWNER


def is_within(path: str, folder: str) -> bool:
    """Whether contents path ``path`` is ``folder`` or lies below it ("" is the root)."""
    path, folder = path.strip("/"), folder.strip("/")
    return not folder or path == folder or path.startswith(folder + "/")


def in_scope(principal: Principal, path: str) -> bool:
    """Whether ``path`` lies in what ``principal``'s link shares."""
    return is_within(path, principal.scope)


def leads_to_scope(principal: Principal, path: str) -> bool:
    """Whether ``path`` is a folder above ``principal``'s scope: it may be listed,
    showing only the way down."""
    return (
        bool(principal.scope) and not in_scope(principal, path) and is_within(principal.scope, path)
    )


def way_down(principal: Principal, folder: str) -> str:
    """The name of the entry of ``folder`` (a folder above the scope) that leads
    to ``principal``'s scope."""
    below = principal.scope.strip("/")[len(folder.strip("/")) :].strip("/")
    return below.split("/", 1)[0]


def scope_allows(principal: Principal, action: str, path: str) -> bool:
    """Whether ``principal``'s scope lets it ``action`` at contents path ``path``:
    anything inside the scope; reading a folder above it (whose listing shows
    only the way down); nothing else. What its level allows is :func:`allows`'s
    question."""
    return in_scope(principal, path) or (action == READ and leads_to_scope(principal, path))


def honours_scope(handler_name: str) -> bool:
    """Whether the route served by ``handler_name`` judges every path against a
    guest's scope (or holds none): only those are open to scoped guests."""
    return handler_name in SCOPED_ROUTES


#: Resources whose paths are contents paths, judged against a guest's scope.
_PATH_RESOURCES = frozenset(("contents", "nbconvert", "sessions", "kernels", "terminals", "events"))


OWNER = Principal(Level.OWNER)


def nothing_read_only(path: str) -> bool:
    """The read-only check of a server without project shares."""
    return False


def allows(
    principal: Principal,
    action: str,
    resource: str,
    path: str | None = None,
    read_only: Callable[[str], bool] | None = None,
) -> bool:
    """Whether ``principal`` may perform ``action`` on ``resource`` (at ``path``).

    ``path`` is a contents path (API form, ``/``-separated, relative to the server
    root), and comes with ``read_only``, the share provider's answer to whether a
    path lies in a read-only project share: there nobody writes, the owner included.
    """
    if action not in _LETTER:
        return False
    if path is not None and read_only is None:
        raise TypeError("a path is judged with its read-only check")
    if (
        action == WRITE
        and resource == "contents"
        and path is not None
        and read_only is not None
        and read_only(path)
    ):
        return False
    if principal.is_owner:
        return True
    row = TABLE.get(resource)
    if row is None:
        return False
    if (
        path is not None
        and resource in _PATH_RESOURCES
        and not scope_allows(principal, action, path)
    ):
        return False
    allowed = row.get(principal.level, _NONE)
    if allowed == "own":
        return True  # the caller confines the guest to its own space
    return _LETTER[action] in allowed


def route_resource(handler_name: str) -> str | None:
    """The resource a route served by ``handler_name`` (module.qualname) is judged
    as; None for a route nobody classified, which no guest may reach."""
    return ROUTES.get(handler_name)


#: Routes whose verbs do not act as their names say. Asking for a document's room
#: (PUT api/collaboration/session/<path>) creates nothing: it looks the file's id
#: up, so that those who may only read can follow a document live.
ROUTE_ACTIONS: dict[str, dict[str, str]] = {
    "jupyter_server_ydoc.handlers.DocSessionHandler": {"PUT": READ},
}


def method_action(method: str, handler_name: str = "") -> str:
    """The action an HTTP verb performs on a route, as jupyter_server's
    ``@authorized`` maps it (a websocket upgrade is a GET: its handler asks for
    ``execute`` itself)."""
    special = ROUTE_ACTIONS.get(handler_name, {}).get(method)
    if special is not None:
        return special
    return READ if method in ("GET", "HEAD", "OPTIONS") else WRITE


_NOUNS = {
    "contents": "files",
    "kernels": "kernels",
    "sessions": "kernels",
    "terminals": "terminals",
    "server": "the server",
    "settings": "the owner's settings",
    "config": "the owner's configuration",
    "capella-share:links": "share links",
    "trust": "whether a notebook is trusted",
    "forks": "copies of documents",
    "lab:extensions": "the extension manager",
    "capella-share:shares": "project shares",
}
_VERBS = {READ: "see", WRITE: "change", EXECUTE: "run"}


def refusal(principal: Principal, action: str, resource: str) -> str:
    """Why ``principal`` is refused, in words a guest understands."""
    what = _NOUNS.get(resource, resource)
    link = {Level.VIEW: "a view-only", Level.EDIT: "an edit", Level.FULL: "a full-access"}
    kind = link.get(principal.level, "this")
    return f"This is {kind} link: it may not {_VERBS.get(action, action)} {what}."


def unclassified_refusal() -> str:
    return "This address is not available through a share link."


def scope_refusal(principal: Principal, path: str | None = None) -> str:
    """Why a scoped guest is refused ``path`` (or a route that cannot honour scopes)."""
    shared = f"This link shares only {principal.scope!r}"
    if path is None:
        return f"{shared}: this address could reach beyond it, so it is closed to this link."
    return f"{shared}: {path.strip('/')!r} lies outside it."


def capabilities(principal: Principal) -> dict[str, bool]:
    """What a frontend needs to know to offer only what the policy allows (anywhere
    outside a read-only project share, which the frontend learns from the shares)."""
    return {
        "write": allows(principal, WRITE, "contents"),
        "run": allows(principal, EXECUTE, "kernels"),
        "terminals": allows(principal, EXECUTE, "terminals"),
        "settings": allows(principal, WRITE, "settings"),
        "shutdown": allows(principal, WRITE, "server"),
        "manage": may_manage(principal),
    }


def may_manage(principal: Principal) -> bool:
    """Whether ``principal`` may create and revoke links and change project shares."""
    return allows(principal, WRITE, "capella-share:links")


def code_levels() -> list[str]:
    """The link permissions whose guests may run code (kernels or terminals)."""
    return [
        level
        for level in LINK_PERMISSIONS
        if any(allows(Principal(Level(level)), EXECUTE, r) for r in ("kernels", "terminals"))
    ]
