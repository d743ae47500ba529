"""The activity trail's files on their own: records chained by their hashes,
rotated by size, taken by one writer at a time, and checked by ``--verify``
(``jupyter capella-share activity``), which reports a line removed or changed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from capella_share.activity.trail import (
    CURRENT,
    GENESIS,
    TrailError,
    TrailWriter,
    lines_backwards,
    records_backwards,
    records_forwards,
    trail_files,
    verify,
)
from capella_share.cli import main


def write(folder: Path, count: int, rotate_bytes: int = 10**9, keep_files: int = 0) -> None:
    writer = TrailWriter(str(folder), rotate_bytes, keep_files)
    writer.open()
    try:
        for number in range(count):
            writer.append(
                {
                    "at": f"2025-01-01T00:00:{number % 60:02d}.000Z",
                    "action": "file.open",
                    "path": f"notes/{number}.txt",
                }
            )
    finally:
        writer.close()


def lines(folder: Path) -> list[str]:
    return (folder / CURRENT).read_text().splitlines()


def cli(*args: str) -> int:
    return main(["activity", *args])


def test_records_are_chained_and_go_on_after_a_restart(tmp_path):
    write(tmp_path, 3)
    write(tmp_path, 2)  # another run of the server
    records = list(records_forwards(str(tmp_path)))
    assert [record["seq"] for record in records] == [1, 2, 3, 4, 5]
    assert records[0]["prev"] == GENESIS
    assert all("prev" not in record for record in records[1:])
    assert verify(str(tmp_path)).intact
    # stored with sorted keys (the hash last), one record a line, nothing else
    for line in lines(tmp_path):
        keys = list(json.loads(line))
        assert keys[-1] == "hash" and keys[:-1] == sorted(keys[:-1])
    assert os.stat(tmp_path / CURRENT).st_mode & 0o777 == 0o600
    assert os.stat(tmp_path).st_mode & 0o777 == 0o700


@pytest.mark.parametrize("damage", ["remove", "edit", "edit-and-rehash", "swap", "cut"])
def test_verify_reports_a_line_removed_or_changed(tmp_path, capsys, damage):
    write(tmp_path, 6)
    assert cli("--verify", "--dir", str(tmp_path)) == 0
    assert "intact: 6 records 1 to 6" in capsys.readouterr().out
    text = lines(tmp_path)
    if damage == "remove":
        del text[2]
    elif damage == "edit":
        text[2] = text[2].replace("notes/2.txt", "notes/other.txt")
    elif damage == "edit-and-rehash":
        # rewritten with a hash made the same way: the next record no longer follows it
        from capella_share.activity.trail import canonical, chained

        record = json.loads(text[2])
        record.pop("hash")
        record["path"] = "notes/other.txt"
        record["hash"] = chained(json.loads(text[1])["hash"], canonical(record))
        text[2] = canonical(record).decode()
    elif damage == "swap":
        text[2], text[3] = text[3], text[2]
    elif damage == "cut":
        text[-1] = text[-1][:20]
    (tmp_path / CURRENT).write_text("\n".join(text) + ("" if damage == "cut" else "\n"))

    assert cli("--verify", "--dir", str(tmp_path)) == 1
    out = capsys.readouterr().out
    assert "NOT INTACT" in out
    expected = {
        "remove": "records 3 to 3 are missing",
        "edit": "record 3 does not match its hash",
        "edit-and-rehash": "record 4 does not match its hash",
        "swap": "record 3 comes after record 4",
        "cut": "its last line is cut short",
    }[damage]
    assert expected in out, out


def test_rotation_keeps_the_chain_across_files(tmp_path, capsys):
    write(tmp_path, 40, rotate_bytes=1000)
    files = trail_files(str(tmp_path))
    assert len(files) > 3
    assert files[-1].endswith(CURRENT)
    assert Path(files[0]).name == "activity-000000000001.jsonl"
    assert [r["seq"] for r in records_forwards(str(tmp_path))] == list(range(1, 41))
    assert [r["seq"] for r in records_backwards(str(tmp_path), before=11)] == list(range(10, 0, -1))
    assert verify(str(tmp_path)).intact
    # a whole file removed by hand, in the middle: the gap is found
    os.unlink(files[1])
    verdict = verify(str(tmp_path))
    assert not verdict.intact
    assert any("are missing" in problem for problem in verdict.problems)


def test_rotation_may_remove_old_files_and_says_so(tmp_path, capsys):
    write(tmp_path, 40, rotate_bytes=1000, keep_files=2)
    files = trail_files(str(tmp_path))
    assert len(files) == 3
    verdict = verify(str(tmp_path))
    assert verdict.intact, verdict.problems
    assert verdict.first_seq > 1
    assert cli("--verify", "--dir", str(tmp_path)) == 0
    assert "the files before" in capsys.readouterr().out


def test_the_first_records_removed_are_reported(tmp_path):
    write(tmp_path, 4)
    text = lines(tmp_path)
    (tmp_path / CURRENT).write_text("\n".join(text[2:]) + "\n")
    verdict = verify(str(tmp_path))
    assert verdict.problems == ["activity.jsonl line 1: records 1 to 2 are missing"]


def test_one_writer_per_folder(tmp_path):
    first = TrailWriter(str(tmp_path), 10**9)
    first.open()
    second = TrailWriter(str(tmp_path), 10**9)
    with pytest.raises(TrailError, match="another process"):
        second.open()
    first.close()
    second.open()  # free again
    second.close()


def test_a_line_cut_by_a_crash_is_left_and_the_next_begins_anew(tmp_path):
    write(tmp_path, 2)
    with open(tmp_path / CURRENT, "ab") as file:
        file.write(b'{"action":"file.op')  # the server was killed as it wrote
    write(tmp_path, 1)
    assert [r["seq"] for r in records_forwards(str(tmp_path))] == [1, 2, 3]
    verdict = verify(str(tmp_path))
    assert verdict.problems == ["activity.jsonl line 3: not a record of the trail (changed or cut)"]


def test_lines_are_read_backwards_across_blocks(tmp_path):
    path = tmp_path / "lines"
    wanted = [f"line {n} " + "x" * (n * 997 % 5000) for n in range(200)]
    path.write_text("\n".join(wanted) + "\npartial")
    assert list(lines_backwards(str(path))) == [line.encode() for line in reversed(wanted)]
    path.write_text("only, still being written")
    assert list(lines_backwards(str(path))) == []


def test_the_command_prints_and_filters(tmp_path, capsys):
    folder = tmp_path / "server"
    writer = TrailWriter(str(folder), 10**9)
    writer.open()
    writer.append(
        {
            "at": "2025-01-01T09:00:00.000Z",
            "action": "link.create",
            "level": "owner",
            "link": "aaaaaaaaaaaa",
            "permission": "edit",
        }
    )
    writer.append(
        {
            "at": "2025-01-01T09:01:00.000Z",
            "action": "file.save",
            "level": "edit",
            "link": "aaaaaaaaaaaa",
            "user": "guest-aaaaaaaaaaaa-api",
            "name": "Team",
            "path": "a.ipynb",
        }
    )
    writer.append(
        {
            "at": "2025-01-01T10:00:00.000Z",
            "action": "file.open",
            "level": "view",
            "link": "bbbbbbbbbbbb",
            "user": "guest-bbbbbbbbbbbb-1",
            "name": "=cmd()",
            "path": "b.ipynb",
        }
    )
    writer.close()
    assert cli("--dir", str(tmp_path)) == 0  # the folder of several trails
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3
    assert "owner  link.create" in out[0] and "link=aaaaaaaaaaaa" in out[0]
    assert "Team (edit, link aaaaaaaaaaaa)  file.save  path=a.ipynb" in out[1]
    assert cli("--dir", str(folder), "--link", "bbbbbbbbbbbb", "--json") == 0
    (only,) = capsys.readouterr().out.splitlines()
    assert json.loads(only)["path"] == "b.ipynb"
    assert cli("--dir", str(folder), "--since", "2025-01-01T09:30:00Z", "--csv") == 0
    csv_lines = capsys.readouterr().out.splitlines()
    assert csv_lines[0] == "seq,at,action,level,link,user,name,path,to,details"
    assert "'=cmd()" in csv_lines[1]  # no spreadsheet formula from a guest's name
    assert cli("--dir", str(folder), "--action", "file.", "--limit", "1") == 0
    assert "b.ipynb" in capsys.readouterr().out
    assert cli("--dir", str(tmp_path / "nothing")) == 1
    assert "no activity trail" in capsys.readouterr().err


def test_a_rotation_that_fails_loses_no_record_and_writes_none_twice(tmp_path, monkeypatch):
    writer = TrailWriter(str(tmp_path), 600)
    writer.open()
    rename = os.rename

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "rename", full)
    for number in range(6):  # past the rotation size: each append tries and fails
        writer.append({"at": "2025-01-01T00:00:00.000Z", "action": "file.open", "n": number})
    monkeypatch.setattr(os, "rename", rename)
    writer.append({"at": "2025-01-01T00:00:01.000Z", "action": "file.open", "n": 6})
    writer.append({"at": "2025-01-01T00:00:02.000Z", "action": "file.open", "n": 7})
    writer.close()
    assert [r["n"] for r in records_forwards(str(tmp_path))] == list(range(8))
    assert len(trail_files(str(tmp_path))) == 2
    assert verify(str(tmp_path)).intact
