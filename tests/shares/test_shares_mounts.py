"""Shares that are the volumes the platform mounted (MountShareProvider).

The mount table parser is tested on crafted text. The rest runs a real server in
a private mount namespace (as root: ``unshare --mount``) where a shell wrapper
bind-mounts folders under ``<root>/shared`` before it execs the server; the test
changes the mounts from outside with ``nsenter``. Every mount lives in that
namespace and goes when the server stops.
"""

from __future__ import annotations

import base64
import errno
import os
import shlex
import shutil
import subprocess
import time
import typing as t
from pathlib import Path

import pytest
from helpers import until_blocking
from live_server import LiveServer
from tornado import web
from traitlets import TraitError

from capella_share.shares import MountShareProvider, ShareError
from capella_share.shares.guard import _refused_by_os
from capella_share.shares.mounts import parse_mountinfo, visible_mounts

# -- the mount table, on crafted text ---------------------------------------------------------


def line(mount_id: int, parent: int, point: str, options: str = "rw", *, extra: str = "",
         super_options: str = "rw", root: str = "/") -> str:  # fmt: skip
    optional = f" {extra}" if extra else ""
    return (
        f"{mount_id} {parent} 254:0 {root} {point} {options},relatime{optional} - "
        f"ext4 /dev/vda {super_options},discard"
    )


def test_escapes_in_paths_are_decoded():
    text = line(40, 1, r"/srv/shared/my\040project\011tab\012nl\134back", root=r"/vol\040a")
    [mount], skipped = parse_mountinfo(text.encode())
    assert mount.mount_point == "/srv/shared/my project\ttab\nnl\\back"
    assert mount.root == "/vol a"
    assert skipped == 0


def test_a_path_holding_the_separator_is_one_field():
    [mount], _ = parse_mountinfo(line(40, 1, r"/srv/a\040-\040b", extra="shared:1").encode())
    assert mount.mount_point == "/srv/a - b"
    assert mount.fs_type == "ext4"


def test_non_ascii_names_are_kept():
    [mount], _ = parse_mountinfo(line(40, 1, "/srv/shared/modèle").encode())
    assert mount.mount_point == "/srv/shared/modèle"


@pytest.mark.parametrize(
    "extra", ["", "shared:12", "master:3 propagate_from:2", "shared:1 master:2 unbindable"]
)
def test_optional_fields_up_to_the_separator(extra):
    [mount], _ = parse_mountinfo(line(40, 1, "/srv/x", "ro,nosuid", extra=extra).encode())
    assert (mount.mount_id, mount.parent_id, mount.mount_point) == (40, 1, "/srv/x")
    assert mount.fs_type == "ext4" and mount.source == "/dev/vda"
    assert mount.options == {"ro", "nosuid", "relatime"}
    assert mount.super_options == {"rw", "discard"}


@pytest.mark.parametrize(
    ("options", "super_options", "read_only"),
    [("rw", "rw", False), ("ro", "rw", True), ("rw", "ro", True)],
)
def test_read_only_per_mount_or_per_file_system(options, super_options, read_only):
    text = line(40, 1, "/srv/x", options, super_options=super_options)
    [mount], _ = parse_mountinfo(text.encode())
    assert mount.read_only is read_only


def test_lines_that_are_no_mounts_are_skipped():
    text = "\n".join(
        [
            "garbage",
            "1 2 3 4 5 6 no separator here",
            line(40, 1, "/srv/x"),
            "x 1 0:1 / /y rw - a b c",
        ]
    )
    mounts, skipped = parse_mountinfo(text.encode() + b"\n\n")
    assert [m.mount_point for m in mounts] == ["/srv/x"]
    assert skipped == 3


def test_a_mount_over_another_hides_it_and_what_was_inside_it():
    text = "\n".join(
        [
            line(1, 0, "/"),
            line(10, 1, "/srv/shared"),
            line(11, 10, "/srv/shared/hidden"),  # inside the first /srv/shared
            line(12, 10, "/srv/shared", "ro"),  # over it
            line(13, 12, "/srv/shared/seen"),
            line(14, 13, "/srv/shared/seen", "ro"),  # stacked twice
        ]
    )
    visible = visible_mounts(parse_mountinfo(text.encode())[0])
    assert [m.mount_id for m in visible] == [1, 12, 14]


# -- the provider, on crafted tables ----------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    """A server root with a shares root ``shared`` and folders to mount on."""
    root = tmp_path / "root"
    for folder in ("shared/alpha/one", "shared/beta/two", "shared/My Project", "elsewhere/x"):
        (root / folder).mkdir(parents=True)
    (root / "shared" / "file-mount").write_text("a file mounted in place of one")
    return root


@pytest.fixture
def provider_for(tree, tmp_path):
    made: list[MountShareProvider] = []

    def make(lines: list[str], **options: t.Any) -> MountShareProvider:
        table = tmp_path / "mountinfo"
        table.write_text("\n".join(lines) + "\n")
        provider = MountShareProvider(
            root_dir=str(tree),
            shares_root=str(tree / "shared"),
            mountinfo_path=str(table),
            **options,
        )
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()


def table_for(root: Path) -> list[str]:
    shared = root / "shared"
    return [
        line(1, 0, "/"),
        line(20, 1, str(shared)),  # the shares root is itself a volume: not a share
        line(21, 20, f"{shared}/alpha"),
        line(22, 20, f"{shared}/beta", "ro"),
        line(23, 21, f"{shared}/alpha/one", "ro"),
        line(24, 22, f"{shared}/beta/two"),
        line(25, 20, f"{shared}/My\\040Project"),
        line(26, 20, f"{shared}/file-mount"),
        line(27, 1, f"{root}/elsewhere/x", "ro"),  # outside the shares root
        line(29, 1, f"{root}/shared-too/alpha"),  # beside it, its name begins the same
        line(28, 1, "/proc"),
    ]


def keyed(provider: MountShareProvider) -> dict[str, tuple[str, str]]:
    return {share.key: (share.path, share.permission) for share in provider.list_shares()}


def test_depth_one_lists_the_project_volumes(provider_for, tree):
    provider = provider_for(table_for(tree))
    assert provider.mount_depth == 1
    assert keyed(provider) == {
        "alpha/alpha": ("shared/alpha", "read-write"),
        "beta/beta": ("shared/beta", "read-only"),
        "My Project/My Project": ("shared/My Project", "read-write"),
    }


def test_depth_two_lists_the_model_volumes(provider_for, tree):
    provider = provider_for(table_for(tree), mount_depth=2)
    assert keyed(provider) == {
        "alpha/one": ("shared/alpha/one", "read-only"),
        "beta/two": ("shared/beta/two", "read-write"),
    }


def test_read_only_shares_are_enforced_from_the_table(provider_for, tree):
    provider = provider_for(table_for(tree))
    assert provider.is_read_only("shared/beta/two/file.txt")
    assert not provider.is_read_only("shared/alpha/file.txt")
    assert not provider.is_read_only("elsewhere/x/file.txt")  # not a share: the OS refuses


def test_a_folder_name_that_is_no_slug_is_listed_and_found(provider_for, tree):
    provider = provider_for(table_for(tree))
    share = provider.get_share("My Project", "My Project")
    assert share.project_name == "My Project"
    with pytest.raises(ShareError) as missing:
        provider.get_share("gamma", "gamma")
    assert missing.value.status == 404


def test_a_shares_root_that_is_a_mount_and_nothing_under_it(provider_for, tree):
    provider = provider_for([line(1, 0, "/"), line(20, 1, str(tree / "shared"), "ro")])
    assert provider.list_shares() == []
    assert provider.error is None


def test_a_changed_table_is_read_again(provider_for, tree, tmp_path):
    provider = provider_for(table_for(tree))
    provider.list_shares()
    assert not provider.source_changed()
    (tmp_path / "mountinfo").write_text("\n".join(table_for(tree)[:3]) + "\n")
    assert provider.source_changed()
    provider.refresh(force=True)
    assert set(keyed(provider)) == {"alpha/alpha"}


def test_an_unreadable_table_is_reported(tree, tmp_path):
    provider = MountShareProvider(
        root_dir=str(tree), shares_root=str(tree / "shared"), mountinfo_path=str(tmp_path / "no")
    )
    try:
        assert provider.list_shares() == []
        assert "cannot be read" in provider.error
    finally:
        provider.close()


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.create("New", "Share"),
        lambda p: p.set_permission("alpha", "alpha", "read-only"),
        lambda p: p.move_out_of_sight("alpha", "alpha", "alpha/alpha"),
    ],
)
def test_changes_are_the_platforms(provider_for, tree, change):
    provider = provider_for(table_for(tree))
    with pytest.raises(ShareError) as refused:
        change(provider)
    assert refused.value.status == 403
    assert "managed by the platform" in refused.value.message
    assert (tree / "shared" / "alpha" / "one").is_dir()


@pytest.mark.parametrize("depth", [0, 3])
def test_only_depths_one_and_two(tree, depth):
    with pytest.raises(TraitError, match="mount_depth"):
        MountShareProvider(root_dir=str(tree), shares_root=str(tree), mount_depth=depth)


def test_this_process_table_is_read(tree):
    """The real /proc/self/mountinfo parses without a skipped line."""
    with open("/proc/self/mountinfo", "rb") as table:
        mounts, skipped = parse_mountinfo(table.read())
    assert skipped == 0
    assert any(mount.mount_point == "/" for mount in visible_mounts(mounts))


class TestInTheServer:
    """Chosen by configuration alone; the platform's shares root is not made here."""

    @pytest.fixture
    def jp_server_config(self, jp_server_config):
        return {
            **jp_server_config,
            "CapellaShareApp": {
                "share_provider_class": "capella_share.shares.MountShareProvider",
                "shares_root": "shared",
            },
        }

    async def test_no_mounts_no_shares(self, capella, shares_api, jp_root_dir):
        assert isinstance(capella.shares, MountShareProvider)
        listing = (await shares_api()).json()
        assert (listing["shares"], listing["managed"], listing["source"]) == ([], True, "mounts")
        assert listing["problem"] is None
        assert not (jp_root_dir / "shared").exists()
        refused = await shares_api("POST", body={"project": "New", "model": "Share"})
        assert refused.code == 403 and "managed by the platform" in refused.json()["message"]


# -- file system refusals in the contents guard -----------------------------------------------


def failing(error: BaseException) -> t.Callable[[], t.Any]:
    def call() -> t.Any:
        raise error

    return call


def wrapped_500(code: int) -> web.HTTPError:
    try:
        raise OSError(code, os.strerror(code), "/x")
    except OSError as cause:
        try:
            raise web.HTTPError(500, "Unexpected error while saving file") from cause
        except web.HTTPError as error:
            return error


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (OSError(errno.EROFS, "Read-only file system"), "read-only file system"),
        (OSError(errno.EACCES, "Permission denied"), "does not allow it"),
        (PermissionError(errno.EPERM, "Operation not permitted"), "does not allow it"),
        (wrapped_500(errno.EROFS), "read-only file system"),
    ],
)
async def test_file_system_refusals_are_403s(error, says):
    with pytest.raises(web.HTTPError) as refused:
        _refused_by_os("save", "data/x.txt", failing(error))
    assert refused.value.status_code == 403
    assert says in refused.value.log_message and "'data/x.txt'" in refused.value.log_message

    async def later() -> None:
        raise error

    with pytest.raises(web.HTTPError) as refused_later:
        await _refused_by_os("save", "data/x.txt", later)
    assert refused_later.value.status_code == 403


@pytest.mark.parametrize(
    "error", [OSError(errno.ENOSPC, "No space left"), web.HTTPError(404, "no such file")]
)
def test_other_errors_pass_through(error):
    with pytest.raises(type(error)):
        _refused_by_os("save", "x", failing(error))


# -- a real server in a private mount namespace (root) ----------------------------------------


def needs_namespaces() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting needs root (CI runs as root)")
    missing = [tool for tool in ("unshare", "nsenter", "mount", "umount") if not shutil.which(tool)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found (util-linux)")


#: ``python -m`` this (from the server's working folder): the server, run by a shell
#: in a new private mount namespace that first runs $MOUNT_SCRIPT. Every exec keeps
#: the process id, so the server's pid names the namespace for nsenter.
NAMESPACE_LAUNCHER = """
import os, sys
os.execvp("unshare", [
    "unshare", "--mount", "--propagation", "private", "sh", "-c",
    "set -e\\n" + os.environ["MOUNT_SCRIPT"] + "\\nexec \\"$@\\"", "sh",
    sys.executable, "-m", "jupyter_server", *sys.argv[1:],
])
"""


class NamespaceServer(LiveServer):
    """A LiveServer in its own mount namespace; ``volumes`` holds the mounted folders."""

    def __init__(self, workdir: Path, script: str, *, delete_to_trash: bool = False):
        (workdir / "in_mount_namespace.py").write_text(NAMESPACE_LAUNCHER)
        super().__init__(
            workdir,
            app="in_mount_namespace",
            args=[
                "--CapellaShareApp.share_provider_class=capella_share.shares.MountShareProvider",
                "--CapellaShareApp.shares_root=shared",
                f"--FileContentsManager.delete_to_trash={delete_to_trash}",
            ],
            env={"MOUNT_SCRIPT": script},
        )
        self.volumes = workdir / "volumes"

    def inside(self, *command: str) -> None:
        """Run ``command`` in the server's mount namespace."""
        assert self.process is not None and self.process.poll() is None
        subprocess.run(
            ["nsenter", "--mount", f"--target={self.process.pid}", "--", *command],
            check=True,
            capture_output=True,
            timeout=30,
        )

    def shares(self) -> dict[str, dict]:
        response = self.request("GET", "api/capella-share/shares")
        assert response.status_code == 200, response.text
        return {share["path"]: share for share in response.json()["shares"]}

    def put(self, path: str, text: str = "new") -> t.Any:
        body = {"type": "file", "format": "text", "content": text}
        return self.request("PUT", f"api/contents/{path}", json=body)


def bind(source: Path, point: Path, read_only: bool = False) -> str:
    """Shell lines mounting ``source`` on ``point`` (read-only: remounted so)."""
    source_arg, point_arg = shlex.quote(str(source)), shlex.quote(str(point))
    lines = [f"mount --bind {source_arg} {point_arg}"]
    if read_only:
        lines.append(f"mount -o remount,bind,ro {point_arg}")
    return "\n".join(lines)


def files_in(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def mounted(tmp_path_factory):
    """``shared/alpha`` read-write, ``shared/beta`` read-only (both shares), and
    ``readonly``: a read-only mount that is no share."""
    needs_namespaces()
    workdir = tmp_path_factory.mktemp("mounts")
    volumes = workdir / "volumes"
    for name in ("alpha", "beta", "readonly"):
        (volumes / name).mkdir(parents=True)
        (volumes / name / "given.txt").write_text(f"given in {name}")
    root = workdir / "root"
    for point in ("shared/alpha", "shared/beta", "readonly"):
        (root / point).mkdir(parents=True)
    script = "\n".join(
        [
            bind(volumes / "alpha", root / "shared" / "alpha"),
            bind(volumes / "beta", root / "shared" / "beta", read_only=True),
            bind(volumes / "readonly", root / "readonly", read_only=True),
        ]
    )
    server = NamespaceServer(workdir, script)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_the_mounts_are_the_shares(mounted):
    response = mounted.request("GET", "api/capella-share/shares")
    listing = response.json()
    assert (listing["managed"], listing["source"], listing["shares_root"]) == (
        True,
        "mounts",
        "shared",
    )
    shares = mounted.shares()
    assert set(shares) == {"shared/alpha", "shared/beta"}
    alpha, beta = shares["shared/alpha"], shares["shared/beta"]
    assert (alpha["project"], alpha["model"], alpha["permission"]) == (
        "alpha",
        "alpha",
        "read-write",
    )
    assert (beta["permission"], beta["filesystem_read_only"]) == ("read-only", True)
    assert (alpha["permission"], alpha["filesystem_read_only"]) == ("read-write", False)
    # the server sees the volumes' files; this process (another namespace) does not
    until_blocking(lambda: mounted.shares()["shared/beta"]["files"] == 1, 5)
    assert not any((mounted.root / "shared" / "beta").iterdir())


def test_the_listing_says_the_models_are_not_writable(mounted):
    model = mounted.request("GET", "api/contents/shared/beta").json()
    assert model["writable"] is False
    assert all(child["writable"] is False for child in model["content"])


#: name -> (method, contents path, body): writes into the read-only share.
READ_ONLY_WRITES = {
    "put a file": (
        "PUT",
        "shared/beta/new.txt",
        {"type": "file", "format": "text", "content": "x"},
    ),
    "overwrite a file": (
        "PUT",
        "shared/beta/given.txt",
        {"type": "file", "format": "text", "content": "changed"},
    ),
    "upload": (
        "PUT",
        "shared/beta/up.bin",
        {"type": "file", "format": "base64", "content": base64.b64encode(b"\0\1").decode()},
    ),
    "new untitled": ("POST", "shared/beta", {"type": "notebook"}),
    "new folder": ("PUT", "shared/beta/sub", {"type": "directory"}),
    "copy into": ("POST", "shared/beta", {"copy_from": "shared/alpha/given.txt"}),
    "rename into": ("PATCH", "shared/alpha/given.txt", {"path": "shared/beta/moved.txt"}),
    "rename out of": ("PATCH", "shared/beta/given.txt", {"path": "shared/alpha/moved.txt"}),
    "delete a file": ("DELETE", "shared/beta/given.txt", None),
    "checkpoint": ("POST", "shared/beta/given.txt/checkpoints", None),
}


@pytest.mark.parametrize("name", list(READ_ONLY_WRITES))
def test_writes_into_the_read_only_mount_are_refused(mounted, name):
    method, path, body = READ_ONLY_WRITES[name]
    before = files_in(mounted.volumes)
    response = mounted.request(method, f"api/contents/{path}", json=body)
    assert response.status_code == 403, response.text
    message = response.json()["message"]
    assert "read-only project share" in message
    assert "'shared/beta'" in message and "beta/beta" in message
    assert files_in(mounted.volumes) == before


def test_writes_into_the_read_write_mount_work(mounted):
    response = mounted.put("shared/alpha/written.txt", "hello")
    assert response.status_code == 201, response.text
    assert (mounted.volumes / "alpha" / "written.txt").read_text() == "hello"
    response = mounted.request("DELETE", "api/contents/shared/alpha/written.txt")
    assert response.status_code == 204, response.text
    assert not (mounted.volumes / "alpha" / "written.txt").exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "readonly/new.txt", {"type": "file", "format": "text", "content": "x"}),
        ("PUT", "readonly/given.txt", {"type": "file", "format": "text", "content": "x"}),
        ("POST", "readonly", {"type": "file"}),
        ("POST", "readonly", {"copy_from": "shared/alpha/given.txt"}),
        ("PATCH", "readonly/given.txt", {"path": "moved.txt"}),
        ("PATCH", "shared/alpha/given.txt", {"path": "readonly/moved.txt"}),
        ("DELETE", "readonly/given.txt", None),
        ("POST", "readonly/given.txt/checkpoints", None),
    ],
)
def test_a_read_only_mount_that_is_no_share_answers_403_not_500(mounted, method, path, body):
    before = files_in(mounted.volumes)
    response = mounted.request(method, f"api/contents/{path}", json=body)
    assert response.status_code == 403, response.text
    assert "read-only file system" in response.json()["message"]
    assert files_in(mounted.volumes) == before
    assert not (mounted.root / "moved.txt").exists()


@pytest.mark.parametrize(
    ("method", "body"), [("DELETE", None), ("PATCH", {"path": "shared/alpha-moved"})]
)
def test_a_mount_point_is_not_removed_or_moved(mounted, method, body):
    before = files_in(mounted.volumes)
    response = mounted.request(method, "api/contents/shared/alpha", json=body)
    assert response.status_code == 409, response.text
    assert "'shared/alpha' is a mounted volume" in response.json()["message"]
    assert files_in(mounted.volumes) == before


@pytest.mark.parametrize(
    ("method", "parts", "body"),
    [
        ("POST", (), {"project": "New", "model": "Share"}),
        ("PATCH", ("alpha", "alpha"), {"permission": "read-only"}),
        ("DELETE", ("alpha", "alpha"), {"confirm": "alpha/alpha"}),
    ],
)
def test_share_changes_are_the_platforms(mounted, method, parts, body):
    path = "/".join(("api/capella-share/shares", *parts))
    response = mounted.request(method, path, json=body)
    assert response.status_code == 403, response.text
    assert "managed by the platform" in response.json()["message"]
    assert (mounted.volumes / "alpha" / "given.txt").exists()


def test_the_archive_of_a_mounted_share(mounted):
    response = mounted.request("GET", "api/capella-share/shares/beta/beta/archive")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"


def test_deleting_to_the_trash_from_a_read_only_mount(tmp_path):
    """jupyter_server's default delete (to the trash) asks access() first and answers
    "Permission denied": the 403 says the file system is read-only instead."""
    needs_namespaces()
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "given.txt").write_text("given")
    (tmp_path / "root" / "readonly").mkdir(parents=True)
    point = tmp_path / "root" / "readonly"
    script = bind(volume, point, read_only=True)
    server = NamespaceServer(tmp_path, script, delete_to_trash=True)
    try:
        server.start()
        response = server.request("DELETE", "api/contents/readonly/given.txt")
        assert response.status_code == 403, response.text
        assert "read-only file system" in response.json()["message"]
        assert (volume / "given.txt").read_text() == "given"
    finally:
        server.stop()


def test_mounts_come_and_go_without_a_restart(tmp_path, report):
    needs_namespaces()
    volumes = tmp_path / "volumes"
    for name in ("alpha", "beta", "gamma"):
        (volumes / name).mkdir(parents=True)
        (volumes / name / "given.txt").write_text(name)
    root = tmp_path / "root"
    for name in ("alpha", "beta", "gamma"):
        (root / "shared" / name).mkdir(parents=True)
    shared = root / "shared"
    script = "\n".join(
        [bind(volumes / "alpha", shared / "alpha"), bind(volumes / "beta", shared / "beta", True)]
    )
    server = NamespaceServer(tmp_path, script)
    try:
        server.start()
        assert set(server.shares()) == {"shared/alpha", "shared/beta"}
        assert server.put("shared/beta/x.txt").status_code == 403

        server.inside("umount", str(shared / "beta"))
        gone = until_blocking(lambda: "shared/beta" not in server.shares(), 5)
        assert set(server.shares()) == {"shared/alpha"}
        # the folder left behind is a plain folder of the server's root again
        assert server.put("shared/beta/x.txt").status_code == 201
        assert not (volumes / "beta" / "x.txt").exists()

        server.inside("mount", "--bind", str(volumes / "gamma"), str(shared / "gamma"))
        server.inside("mount", "-o", "remount,bind,ro", str(shared / "gamma"))
        came = until_blocking(lambda: "shared/gamma" in server.shares(), 5)
        assert server.shares()["shared/gamma"]["permission"] == "read-only"
        refused = server.put("shared/gamma/x.txt")
        assert refused.status_code == 403 and "'shared/gamma'" in refused.json()["message"]
        assert not (volumes / "gamma" / "x.txt").exists()
        report(
            "mounted shares: cost",
            f"a removed mount left GET shares after {gone:.2f} s, a new one came after "
            f"{came:.2f} s (no restart)",
        )
    finally:
        server.stop()
    assert not any(
        str(tmp_path) in line for line in Path("/proc/self/mountinfo").read_text().splitlines()
    )


def test_cost_of_a_listing_with_200_mounts(tmp_path, report):
    needs_namespaces()
    volume = tmp_path / "volume"
    volume.mkdir()
    for index in range(5):
        (volume / f"f{index}.txt").write_text("x" * 100)
    shared = tmp_path / "root" / "shared"
    for index in range(200):
        (shared / f"project-{index:03}").mkdir(parents=True)
    script = f"""
for point in {shlex.quote(str(shared))}/project-*; do
  mount --bind {shlex.quote(str(volume))} "$point"
  case "$point" in *[13579]) mount -o remount,bind,ro "$point" ;; esac
done
"""
    server = NamespaceServer(tmp_path, script)
    try:
        server.start()
        started = time.perf_counter()
        shares = server.shares()
        first = time.perf_counter() - started
        assert len(shares) == 200
        assert sum(s["permission"] == "read-only" for s in shares.values()) == 100
        until_blocking(lambda: all(s["files"] == 5 for s in server.shares().values()), 15)
        warm = []
        for _ in range(10):
            started = time.perf_counter()
            server.shares()
            warm.append(time.perf_counter() - started)
        report(
            "mounted shares: cost",
            f"GET shares with 200 mounts: first {first * 1000:.0f} ms (counting files, "
            f"waits at most stats_budget), then {min(warm) * 1000:.0f}-{max(warm) * 1000:.0f} ms",
        )
    finally:
        server.stop()
