"""What both spawner hooks share: their settings, and the user's shares as the
registry lists them.

The hooks ask the registry service (``capella-share-registry``) for the user's
shares, ``GET users/{name}/shares``, with the server's own API token (JupyterHub
makes it before the hook runs; ``c.Spawner.server_token_scopes`` must grant
``access:services!service=capella-share-registry``), or with
``ShareSpawnerHook.api_token`` when a spawner has none.
"""

from __future__ import annotations

import json
import re
import typing as t
import urllib.parse

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from traitlets import Dict, Float, List, Unicode
from traitlets.config import LoggingConfigurable

from ...shares.rules import (
    MOUNT_ROOT_ENV,
    PERMISSIONS,
    REGISTRY_URL_ENV,
    check_slug,
    error_message,
)

REGISTRY_SERVICE = "capella-share-registry"

_ID_RE = re.compile(r"^[a-z0-9]+(?:-+[a-z0-9]+)*$")


class RegistryUnavailable(RuntimeError):
    """The registry did not give the user's shares: the spawn stops with this message."""


class ShareSpawnerHook(LoggingConfigurable):
    """Settings of the spawner hooks, from ``c.ShareSpawnerHook`` in the hub's config."""

    registry_url = Unicode(
        "",
        config=True,
        help="""The registry's API base as the hub reaches it, ending in /api/.
        Default: the hub-managed service capella-share-registry, at its own URL
        (http://127.0.0.1:<port>/services/capella-share-registry/api/).""",
    )

    session_registry_url = Unicode(
        "",
        config=True,
        help="""The registry's API base as single-user servers reach it (given to
        them in CAPELLA_SHARE_REGISTRY_URL). Default: registry_url.""",
    )

    api_token = Unicode(
        "",
        config=True,
        help="""A token for the registry, used only when a spawner has no API token
        of its own (JupyterHub gives every server one before the hook runs). It must
        be allowed to read every user's shares (a hub admin's, or a service's with
        admin:users).""",
    )

    request_timeout = Float(
        10.0, config=True, help="Seconds the hook waits for the registry before the spawn fails."
    )

    shares_root = Unicode(
        "shared",
        config=True,
        help="""Where shares appear in a session, as <shares_root>/<project>/<model>.
        Local spawners: relative to the server's root directory (default "shared").
        KubeSpawner: the absolute mount path in the pod; a relative one is taken
        from /home/jovyan.""",
    )

    storage_root = Unicode(
        "",
        config=True,
        help="""Local spawners: the host folder holding the shares' files, as
        <storage_root>/<project>/<model>; the registry's storage_root (the same
        folder). Required for local spawners.""",
    )

    manifest_dir = Unicode(
        "",
        config=True,
        help="""Local spawners: the folder the hook writes each server's share
        manifest to (<user>.json, <user>--<server>.json). It lies outside users'
        folders, so that they cannot change it. Default: <storage_root>/../manifests.""",
    )

    storage_class = Unicode(
        "",
        config=True,
        help="KubeSpawner: the storage class of share claims (default: the cluster's).",
    )

    storage_capacity = Unicode(
        "1Gi", config=True, help="KubeSpawner: the size requested for each share's claim."
    )

    storage_access_modes = List(
        Unicode(),
        ["ReadWriteMany"],
        config=True,
        help="""KubeSpawner: the access modes of each share's claim. Every member's
        pod mounts the same claim, so ReadWriteMany (or ReadOnlyMany for a
        read-only platform).""",
    )

    storage_labels = Dict(
        {}, config=True, help="KubeSpawner: extra labels on the claims made for shares."
    )


def settings_of(spawner: t.Any) -> ShareSpawnerHook:
    return ShareSpawnerHook(config=spawner.config, log=spawner.log)


def registry_url(spawner: t.Any, settings: ShareSpawnerHook) -> str:
    """The API base the hub reaches the registry at."""
    if settings.registry_url:
        return settings.registry_url.rstrip("/") + "/"
    services = (getattr(spawner.user, "settings", None) or {}).get("services") or {}
    service = services.get(REGISTRY_SERVICE)
    if service is None or not getattr(service, "url", None):
        raise RegistryUnavailable(
            f"Project shares: there is no hub-managed service {REGISTRY_SERVICE!r} with a "
            "URL; add it to c.JupyterHub.services or set c.ShareSpawnerHook.registry_url."
        )
    return f"{service.url.rstrip('/')}{service.prefix.rstrip('/')}/api/"


async def fetch_shares(spawner: t.Any, settings: ShareSpawnerHook) -> list[dict[str, t.Any]]:
    """The user's shares, as the registry lists them (checked)."""
    token = getattr(spawner, "api_token", "") or settings.api_token
    if not token:
        raise RegistryUnavailable(
            "Project shares: the spawner has no API token and c.ShareSpawnerHook.api_token "
            "is not set, so the registry cannot be asked."
        )
    name = urllib.parse.quote(spawner.user.name, safe="")
    url = f"{registry_url(spawner, settings)}users/{name}/shares"
    request = HTTPRequest(
        url,
        headers={"Authorization": f"token {token}", "Accept": "application/json"},
        request_timeout=settings.request_timeout,
        connect_timeout=settings.request_timeout,
        follow_redirects=False,
    )
    # asynchronous: the registry checks the token with the hub, which is this process
    try:
        response = await AsyncHTTPClient().fetch(request)
    except HTTPClientError as error:
        raise RegistryUnavailable(_refusal(error, url)) from None
    except OSError as error:
        raise RegistryUnavailable(
            f"Project shares: the registry at {url} cannot be reached ({error})."
        ) from None
    try:
        data = json.loads(response.body)
        return [_checked(entry) for entry in data["shares"]]
    except (ValueError, KeyError, TypeError) as error:
        raise RegistryUnavailable(
            f"Project shares: the registry's answer at {url} is not a share list ({error})."
        ) from None


def _refusal(error: HTTPClientError, url: str) -> str:
    message = error_message(error.response.body if error.response is not None else None)
    hint = ""
    if error.code in (401, 403):
        hint = (
            " Give servers' tokens access to it: add "
            f"'access:services!service={REGISTRY_SERVICE}' to c.Spawner.server_token_scopes "
            "(and to the users' role)."
        )
    return f"Project shares: the registry at {url} answered {error.code} {message}.{hint}"


def _checked(entry: t.Any) -> dict[str, t.Any]:
    """One share of the registry's list, its names checked: they become paths."""
    if not isinstance(entry, dict):
        raise TypeError("a share is not an object")
    check_slug(entry["project"], "project")
    check_slug(entry["model"], "model")
    share_id = str(entry.get("id") or f"{entry['project']}--{entry['model']}")
    if not _ID_RE.match(share_id):
        raise ValueError(f"the share id {share_id!r} is not a Kubernetes name part")
    permission = entry.get("permission")
    if permission not in PERMISSIONS:
        raise ValueError(f"{share_id}: permission {permission!r}")
    return {**entry, "id": share_id}


def session_environment(
    spawner: t.Any, settings: ShareSpawnerHook, mount_root: str
) -> dict[str, str]:
    url = settings.session_registry_url or registry_url(spawner, settings)
    return {REGISTRY_URL_ENV: url.rstrip("/") + "/", MOUNT_ROOT_ENV: mount_root}


__all__ = [
    "REGISTRY_SERVICE",
    "RegistryUnavailable",
    "ShareSpawnerHook",
    "fetch_shares",
    "registry_url",
    "session_environment",
    "settings_of",
]
