"""``jupyter capella-share``: manage project shares from a shell.

    jupyter capella-share shares list [--json]
    jupyter capella-share shares create PROJECT MODEL [--permission read-write|read-only]
    jupyter capella-share shares set-permission PROJECT MODEL PERMISSION
    jupyter capella-share shares delete PROJECT MODEL [--confirm PROJECT/MODEL]
    jupyter capella-share shares archive PROJECT MODEL [--output FILE]
    jupyter capella-share activity [--link ID] [--since TIME] [--action A] [--user U]
                                   [--limit N] [--json | --csv] [--verify] [--dir DIR]

PROJECT and MODEL are names ("Demo project") or their folder names ("demo-project").
The local share list (SQLite) is the one the server uses; a running server sees changes
within a second.
``activity`` reads the activity trails the servers of this Jupyter data folder write
(docs/activity.md); ``--verify`` checks that no record was removed or changed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import typing as t

from . import __version__
from .activity.export import CSV_COLUMNS, csv_row
from .activity.trail import CURRENT, record_time, records_forwards, trail_files, verify
from .policy import LINK_PERMISSIONS
from .shares import MANIFEST_ENV, LocalShareProvider, ManifestShareProvider, ShareError
from .shares.archive import zip_chunks
from .shares.deletion import empty_trash, remove_tree
from .shares.provider import PERMISSIONS, READ_WRITE, ShareProvider, is_within, slug_of
from .shares.stats import measure


class CommandError(Exception):
    """Printed as ``error: <message>``; exit status 1."""


def _provider(args: argparse.Namespace) -> ShareProvider:
    root_dir = os.path.realpath(os.path.expanduser(args.root_dir))
    if not os.path.isdir(root_dir):
        raise CommandError(f"the root directory {root_dir} does not exist")
    shares_root = os.path.realpath(os.path.join(root_dir, os.path.expanduser(args.shares_root)))
    if not is_within(shares_root, root_dir):
        raise CommandError(
            f"the shares root {shares_root} lies outside the root directory {root_dir}"
        )
    manifest = args.manifest or os.environ.get(MANIFEST_ENV, "")
    provider: ShareProvider
    if manifest:
        provider = ManifestShareProvider(
            root_dir=root_dir, shares_root=shares_root, manifest_path=os.path.abspath(manifest)
        )
    else:
        os.makedirs(shares_root, exist_ok=True)
        options = {"db_path": os.path.expanduser(args.db)} if args.db else {}
        provider = LocalShareProvider(root_dir=root_dir, shares_root=shares_root, **options)
    provider.refresh(force=True)
    problem = getattr(provider, "error", None)
    if problem:
        raise CommandError(problem)
    return provider


def _key(provider: ShareProvider, project: str, model: str) -> tuple[str, str]:
    share = provider.get_share(slug_of(project, "project"), slug_of(model, "model"))
    return share.project, share.model


def _size(value: int) -> str:
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{value} B"


def cmd_list(provider: ShareProvider, args: argparse.Namespace) -> None:
    shares = provider.list_shares()
    models = [provider.model(share, measure(provider.os_path(share))) for share in shares]
    if args.json:
        print(json.dumps({"shares": models, "managed": provider.managed}, indent=2))
        return
    if not models:
        print(f"No project shares yet (shares root: {provider.shares_root}).")
        return
    for model in models:
        counts = "missing" if not model["exists"] else f"{model['files']} files"
        if model["exists"]:
            counts += f", {_size(model['bytes'])}"
        print(
            f"{model['project']}/{model['model']}\t{model['permission']}\t{counts}\t{model['path']}"
        )


def cmd_create(provider: ShareProvider, args: argparse.Namespace) -> None:
    try:
        share = provider.create(args.project, args.model, args.permission)
    except ShareError as error:
        if error.status != 409 or not args.exist_ok:
            raise
        project, model = _key(provider, args.project, args.model)
        share = provider.set_permission(project, model, args.permission)
        print(f"{share.key} exists; it is {share.permission}: {share.path}")
        return
    print(f"Created the {share.permission} share {share.key}: {share.path}")


def cmd_set_permission(provider: ShareProvider, args: argparse.Namespace) -> None:
    share = provider.set_permission(*_key(provider, args.project, args.model), args.permission)
    print(f"{share.key} is {share.permission}")


def cmd_delete(provider: ShareProvider, args: argparse.Namespace) -> None:
    project, model = _key(provider, args.project, args.model)
    confirm = args.confirm
    if confirm is None:
        if not sys.stdin.isatty():
            raise CommandError(f"deleting is irrevocable: add --confirm {project}/{model}")
        print(f"This removes every file of {project}/{model} for good. There is no undo.")
        confirm = input(f"Type {project}/{model} to delete it: ").strip()
    trashed = provider.move_out_of_sight(project, model, confirm)
    files, size = remove_tree(trashed) if trashed else (0, 0)
    print(f"Deleted {project}/{model}: {files} files, {_size(size)}")


def cmd_archive(provider: ShareProvider, args: argparse.Namespace) -> None:
    project, model = _key(provider, args.project, args.model)
    share = provider.get_share(project, model)
    output = args.output or f"{project}-{model}.zip"
    chunks = zip_chunks(provider.os_path(share), share.model)
    if output == "-":
        for chunk in chunks:
            sys.stdout.buffer.write(chunk)
        return
    partial = f"{output}.part"
    with open(partial, "wb") as target:
        for chunk in chunks:
            target.write(chunk)
    shutil.move(partial, output)
    print(f"Wrote {output}")


def cmd_clean(provider: ShareProvider, args: argparse.Namespace) -> None:
    files, size = empty_trash(provider.shares_root)
    print(f"Removed {files} files ({_size(size)}) left by interrupted deletes")


# -- the activity trail ---------------------------------------------------------------------
def default_activity_dir() -> str:
    from jupyter_core.paths import jupyter_data_dir

    return os.path.join(jupyter_data_dir(), "capella_share", "activity")


def trail_folders(folder: str) -> list[str]:
    """The trails in ``folder``: itself if it holds one, else each folder in it that does."""
    if os.path.exists(os.path.join(folder, CURRENT)) or trail_files(folder):
        return [folder]
    try:
        names = sorted(os.listdir(folder))
    except FileNotFoundError:
        raise CommandError(f"there is no activity trail in {folder}") from None
    found = [
        os.path.join(folder, name) for name in names if trail_files(os.path.join(folder, name))
    ]
    if not found:
        raise CommandError(f"there is no activity trail in {folder}")
    return found


def _since(value: str) -> str:
    try:
        return record_time(value)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"not a time in ISO 8601 (such as 2025-01-31T09:00:00Z): {value!r}"
        ) from None


def _describe(record: dict[str, t.Any]) -> str:
    """One record as a line for people: when, who, what, on what."""
    level = record.get("level")
    if level == "owner":
        who = "owner"
    elif level:
        who = f"{record.get('name') or record.get('user')} ({level}, link {record.get('link')})"
    else:
        who = "server"
    skip = {"seq", "at", "action", "level", "link", "user", "name", "hash", "prev"}
    if level not in LINK_PERMISSIONS:
        skip.discard("link")  # the link acted on, not the actor's
    details = " ".join(
        f"{key}={value if isinstance(value, str) else json.dumps(value)}"
        for key, value in record.items()
        if key not in skip
    )
    line = f"{record.get('seq'):>6}  {record.get('at')}  {who}  {record.get('action')}"
    return f"{line}  {details}".rstrip()


def cmd_activity(args: argparse.Namespace) -> int:
    folders = trail_folders(os.path.abspath(os.path.expanduser(args.dir)))
    if args.verify:
        broken = False
        for folder in folders:
            verdict = verify(folder)
            state = "intact" if verdict.intact else "NOT INTACT"
            span = (
                f"records {verdict.first_seq} to {verdict.last_seq}"
                if verdict.records
                else "no records"
            )
            print(f"{folder}: {state}: {verdict.records} {span}")
            for note in verdict.notes:
                print(f"  note: {note}")
            for problem in verdict.problems:
                print(f"  {problem}")
            broken |= not verdict.intact
        return 1 if broken else 0
    matching = [
        record
        for folder in folders
        for record in records_forwards(folder)
        if (args.link is None or record.get("link") == args.link)
        and (args.since is None or str(record.get("at", "")) >= args.since)
        and (args.action is None or str(record.get("action", "")).startswith(args.action))
        and (args.user is None or args.user in (record.get("user"), record.get("name")))
    ]
    if len(folders) > 1:
        matching.sort(key=lambda record: str(record.get("at", "")))
    if args.limit:
        matching = matching[-args.limit :]
    if args.json:
        for record in matching:
            print(json.dumps(record, ensure_ascii=False))
    elif args.csv:
        import csv

        writer = csv.writer(sys.stdout)
        writer.writerow([*CSV_COLUMNS, "details"])
        writer.writerows(csv_row(record) for record in matching)
    else:
        for record in matching:
            print(_describe(record))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="jupyter capella-share", description="Manage capella-share project shares."
    )
    top.add_argument("--version", action="version", version=__version__)
    commands = top.add_subparsers(dest="command", required=True)
    shares = commands.add_parser("shares", help="project notebook shares")
    shares.add_argument(
        "--root-dir",
        default=os.getcwd(),
        help="the Jupyter server's root directory (default: the current directory)",
    )
    shares.add_argument(
        "--shares-root",
        default="",
        help="where shares are made, relative to the root directory (default: the root)",
    )
    shares.add_argument(
        "--db", default="", help="the local share list's SQLite file (default: the server's)"
    )
    shares.add_argument(
        "--manifest", default="", help=f"a platform manifest to read (default: ${MANIFEST_ENV})"
    )
    actions = shares.add_subparsers(dest="action", required=True)

    listing = actions.add_parser("list", help="list shares with their permission and size")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=cmd_list)

    create = actions.add_parser("create", help="make a share folder")
    create.add_argument("project")
    create.add_argument("model")
    create.add_argument("--permission", choices=PERMISSIONS, default=READ_WRITE)
    create.add_argument(
        "--exist-ok",
        action="store_true",
        help="if the share exists, only set its permission",
    )
    create.set_defaults(run=cmd_create)

    permission = actions.add_parser("set-permission", help="make a share read-write or read-only")
    permission.add_argument("project")
    permission.add_argument("model")
    permission.add_argument("permission", choices=PERMISSIONS)
    permission.set_defaults(run=cmd_set_permission)

    delete = actions.add_parser("delete", help="delete a share and all its files, irrevocably")
    delete.add_argument("project")
    delete.add_argument("model")
    delete.add_argument("--confirm", help="PROJECT/MODEL (folder names), to confirm")
    delete.set_defaults(run=cmd_delete)

    archive = actions.add_parser("archive", help="write a share as a zip")
    archive.add_argument("project")
    archive.add_argument("model")
    archive.add_argument("-o", "--output", help="the zip file ('-' for stdout)")
    archive.set_defaults(run=cmd_archive)

    clean = actions.add_parser("clean", help="finish deletes a crash interrupted")
    clean.set_defaults(run=cmd_clean)

    activity = commands.add_parser(
        "activity",
        help="what guests did (the activity trail): print, filter, verify",
        description="Print the activity trail (oldest first), or check it with --verify.",
    )
    activity.add_argument(
        "--dir",
        default=default_activity_dir(),
        help="a trail's folder, or the folder of several "
        "(default: the Jupyter data folder's capella_share/activity)",
    )
    activity.add_argument("--link", help="only the records of this link (its id)")
    activity.add_argument("--since", type=_since, help="only records made at or after this time")
    activity.add_argument(
        "--action", help="only actions starting with this (file., kernel.execute)"
    )
    activity.add_argument("--user", help="only this guest (user name or display name)")
    activity.add_argument("--limit", type=int, default=0, help="only the last N records")
    output = activity.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print records as JSON lines")
    output.add_argument("--csv", action="store_true", help="print records as CSV")
    output.add_argument(
        "--verify",
        action="store_true",
        help="check that no record was removed or changed; exit status 1 if one was",
    )
    return top


def main(argv: t.Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "activity":
        try:
            return cmd_activity(args)
        except (CommandError, OSError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    try:
        provider = _provider(args)
        try:
            args.run(provider, args)
        finally:
            provider.close()
    except (ShareError, CommandError) as error:
        print(f"error: {getattr(error, 'message', error)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
