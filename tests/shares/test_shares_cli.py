"""``jupyter capella-share shares ...``: the same registry as the server, from a shell."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import pytest
from helpers import until

from capella_share.cli import main


@pytest.fixture
def cli(tmp_path, capsys):
    """Run the CLI on a root of its own; return (exit status, stdout, stderr)."""
    root = tmp_path / "root"
    root.mkdir()
    db = tmp_path / "registry.sqlite"

    def _run(*args: str) -> tuple[int, str, str]:
        status = main(["shares", "--root-dir", str(root), "--db", str(db), *args])
        out, err = capsys.readouterr()
        return status, out, err

    _run.root = root  # type:ignore[attr-defined]
    return _run


def test_create_list_set_permission(cli):
    status, out, _ = cli("create", "Demo project", "Sample model")
    assert status == 0, out
    assert "read-write share demo-project/sample-model" in out
    assert (cli.root / "demo-project" / "sample-model").is_dir()
    assert cli("create", "Demo project", "Reference", "--permission", "read-only")[0] == 0
    status, out, _ = cli("set-permission", "demo-project", "sample-model", "read-only")
    assert (status, out.strip()) == (0, "demo-project/sample-model is read-only")
    status, out, _ = cli("list", "--json")
    shares = {s["model"]: s for s in json.loads(out)["shares"]}
    assert shares["sample-model"]["permission"] == "read-only"
    assert shares["reference"]["permission"] == "read-only"


def test_create_twice_fails_unless_exist_ok(cli):
    cli("create", "Demo", "Model")
    status, _, err = cli("create", "Demo", "Model", "--permission", "read-only")
    assert status == 1 and "exists already" in err
    status, out, _ = cli("create", "Demo", "Model", "--permission", "read-only", "--exist-ok")
    assert status == 0 and "read-only" in out


@pytest.mark.parametrize("name", ["..", "../x", "/etc", ""])
def test_bad_names_fail_with_the_reason(cli, name):
    status, _, err = cli("create", name, "model")
    assert status == 1
    assert err.startswith("error: The project name")
    assert sorted(p.name for p in cli.root.iterdir()) == []


def test_delete_needs_the_typed_confirmation(cli, monkeypatch):
    cli("create", "Demo", "Model")
    (cli.root / "demo" / "model" / "a.txt").write_text("abc")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    status, _, err = cli("delete", "demo", "model")
    assert status == 1 and "--confirm demo/model" in err
    status, _, err = cli("delete", "demo", "model", "--confirm", "demo/other")
    assert status == 1 and (cli.root / "demo" / "model" / "a.txt").exists()
    status, out, _ = cli("delete", "Demo", "Model", "--confirm", "demo/model")
    assert status == 0 and "1 files, 3 B" in out
    assert not (cli.root / "demo" / "model").exists()
    assert "No project shares" in cli("list")[1]


def test_archive_writes_a_zip(cli, tmp_path):
    cli("create", "Demo", "Model")
    (cli.root / "demo" / "model" / "a.txt").write_text("abc")
    target = tmp_path / "out.zip"
    status, _, _ = cli("archive", "demo", "model", "--output", str(target))
    assert status == 0
    with zipfile.ZipFile(target) as archive:
        assert archive.read("model/a.txt") == b"abc"


def test_the_shares_root_must_lie_inside_the_root(cli):
    status, _, err = cli("--shares-root", "../x", "list")
    assert status == 1 and "outside the root directory" in err


async def test_a_share_made_by_the_cli_shows_in_the_running_server(shares_api, jp_root_dir, capsys):
    status = main(["shares", "--root-dir", str(jp_root_dir), "create", "From", "Shell"])
    assert status == 0, capsys.readouterr()
    # the server looks at the registry at most once a second
    listing: list[dict] = []

    async def listed() -> bool:
        listing[:] = (await shares_api()).json()["shares"]
        return bool(listing)

    await until(listed, 3, "the server never listed the share")
    assert [s["path"] for s in listing] == ["from/shell"]


def test_the_jupyter_subcommand_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "jupyter", "capella-share", "shares", "--root-dir", str(tmp_path),
         "--db", str(tmp_path / "r.sqlite"), "create", "Demo", "Model"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo" / "model").is_dir()
