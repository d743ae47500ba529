"""Shares named by the platform that started the session, in a JSON manifest.

The platform (a JupyterHub spawner, a Kubernetes operator…) writes the manifest
and mounts the folders; here its shares are listed and their permissions enforced,
and any change is refused. The format is in docs/shares.md.
"""

from __future__ import annotations

import json
import os
import typing as t

from traitlets import Unicode

from .provider import (
    READ_ONLY,
    Share,
    ShareError,
    ShareProvider,
    check_permission,
    check_relative_path,
    slug_of,
)
from .rules import MANIFEST_ENV

_ENTRY_FIELDS = {"project", "model", "permission", "path"}


class ManifestError(ValueError):
    """The manifest cannot be used; the message says where and why."""


class ManifestShareProvider(ShareProvider):
    """Read-only view of the platform's manifest; reread when the file changes."""

    managed = True
    kind = "manifest"

    manifest_path = Unicode(help="The manifest file (absolute).")

    def __init__(self, **kwargs: t.Any):
        super().__init__(**kwargs)
        self._stamp: tuple[int, int] | None = None
        self.error: str | None = None

    def refusal(self) -> str:
        return (
            "Project shares in this session are managed by the platform (manifest "
            f"{self.manifest_path}); ask whoever runs it to change them."
        )

    def describe(self) -> str:
        return f"the platform's manifest {self.manifest_path}"

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.manifest_path)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def source_changed(self) -> bool:
        return self._file_stamp() != self._stamp or self._stamp is None

    def load(self) -> list[Share]:
        stamp = self._file_stamp()
        try:
            shares = self.parse(self._read())
        except ManifestError as error:
            self._stamp = stamp
            self.error = str(error)
            self.log.error("capella-share: %s", error)
            if self._shares:
                self.log.error("capella-share: keeping the shares of the last valid manifest")
                return list(self._shares.values())
            return []
        self._stamp = stamp
        self.error = None
        return shares

    def _read(self) -> t.Any:
        try:
            with open(self.manifest_path, encoding="utf-8") as source:
                return json.load(source)
        except FileNotFoundError:
            raise ManifestError(
                f"The share manifest {self.manifest_path} does not exist."
            ) from None
        except (OSError, ValueError) as error:
            raise ManifestError(
                f"The share manifest {self.manifest_path} cannot be read: {error}"
            ) from None

    def parse(self, data: t.Any) -> list[Share]:
        """The shares of a manifest document; a ManifestError naming every problem."""
        if not isinstance(data, dict) or not isinstance(data.get("shares"), list):
            raise ManifestError(
                f"The share manifest {self.manifest_path} must be a JSON object with a "
                '"shares" list.'
            )
        if data.get("version", 1) != 1:
            raise ManifestError(
                f"The share manifest {self.manifest_path} has version {data.get('version')!r}; "
                "this capella-share reads version 1."
            )
        problems: list[str] = []
        shares: dict[str, Share] = {}
        for index, entry in enumerate(data["shares"]):
            try:
                share = self._entry(entry)
            except ShareError as error:
                problems.append(f"shares[{index}]: {error.message}")
                continue
            if share.key in shares:
                problems.append(f"shares[{index}]: {share.key} is listed twice")
            shares[share.key] = share
        if problems:
            raise ManifestError(
                f"The share manifest {self.manifest_path} is invalid: " + "; ".join(problems)
            )
        return list(shares.values())

    def _entry(self, entry: t.Any) -> Share:
        if not isinstance(entry, dict):
            raise ShareError(400, "each share must be a JSON object")
        unknown = set(entry) - _ENTRY_FIELDS
        if unknown:
            raise ShareError(400, f"unknown field(s) {', '.join(sorted(unknown))}")
        project = slug_of(entry.get("project"), "project")
        model = slug_of(entry.get("model"), "model")
        permission = check_permission(entry.get("permission", READ_ONLY))
        if "path" in entry:
            path = check_relative_path(entry["path"], "path")
        else:
            path = self.path_for(project, model)
        return Share(
            project=project,
            model=model,
            path=path,
            permission=permission,
            project_name=str(entry["project"]).strip(),
            model_name=str(entry["model"]).strip(),
        )


__all__ = ["MANIFEST_ENV", "ManifestError", "ManifestShareProvider"]
