"""``GET api/capella-share/activity``: the trail, for the owner (the policy says so)."""

from __future__ import annotations

import csv
import io
import typing as t

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..handler_base import CapellaShareHandler
from ..linktoken import LINK_ID_RE
from ..settings import ACTIVITY_SETTING
from .export import CSV_COLUMNS, csv_row
from .manager import ActivityTrail, Record
from .trail import record_time

#: The most records one JSON page holds, and the most a CSV download holds.
MAX_PAGE = 1000
MAX_CSV = 100_000


class ActivityHandler(CapellaShareHandler):
    """``activity?link=&since=&before=&after=&limit=&format=``: who did what, newest
    first (``after``: only what came after the record of that ``seq``, for a view
    that follows the trail)."""

    auth_resource = "capella-share:links"

    @property
    def trail(self) -> ActivityTrail | None:
        return self.settings.get(ACTIVITY_SETTING)

    @web.authenticated
    @authorized
    async def get(self) -> None:
        link = self._link()
        since = self._since()
        before = self._whole("before", None, 1, 2**62)
        after = self._whole("after", None, 0, 2**62)
        wants_csv = self._format() == "csv"
        limit = self._whole(
            "limit", MAX_CSV if wants_csv else 100, 1, MAX_CSV if wants_csv else MAX_PAGE
        )
        trail = self.trail
        if trail is None:
            records: list[Record] = []
            following = None
        else:
            records, following = await trail.search(link, since, before, limit, after)
        if wants_csv:
            self._send_csv(records, link)
            return
        self.write_json(
            {
                "records": records,
                "next": following,
                "recording": trail is not None,
                "problem": (trail.problem or None) if trail is not None else None,
            }
        )

    def _send_csv(self, records: list[Record], link: str | None) -> None:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*CSV_COLUMNS, "details"])
        for record in reversed(records):  # oldest first, as a log reads
            writer.writerow(csv_row(record))
        name = f"capella-share-activity{'-' + link if link else ''}.csv"
        self.set_header("Content-Disposition", f'attachment; filename="{name}"')
        self.finish(out.getvalue().encode("utf-8"), set_content_type="text/csv; charset=utf-8")

    # -- the query's arguments -------------------------------------------------------------
    def _one(self, name: str) -> str | None:
        values = self.get_query_arguments(name)
        if len(values) > 1:
            raise web.HTTPError(400, f"{name} is given more than once.")
        return values[0] if values else None

    def _link(self) -> str | None:
        value = self._one("link")
        if value is None or value == "":
            return None
        if not LINK_ID_RE.match(value):
            raise web.HTTPError(
                400, f"link must be a link's id (12 lower-case hexadecimal digits); got {value!r}."
            )
        return value

    def _since(self) -> str | None:
        value = self._one("since")
        if value is None or value == "":
            return None
        try:
            return record_time(value)
        except ValueError:
            raise web.HTTPError(
                400,
                f"since must be a time in ISO 8601, such as 2025-01-31T09:00:00Z; got {value!r}.",
            ) from None
        except OverflowError:
            raise web.HTTPError(400, f"since is out of range; got {value!r}.") from None

    @t.overload
    def _whole(self, name: str, default: int, low: int, high: int) -> int: ...
    @t.overload
    def _whole(self, name: str, default: None, low: int, high: int) -> int | None: ...
    def _whole(self, name: str, default: int | None, low: int, high: int) -> int | None:
        value = self._one(name)
        if value is None or value == "":
            return default
        if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
            raise web.HTTPError(
                400, f"{name} must be a whole number from {low} to {high}; got {value!r}."
            )
        return int(value)

    def _format(self) -> str:
        value = self._one("format") or "json"
        if value not in ("json", "csv"):
            raise web.HTTPError(400, f"format must be json or csv; got {value!r}.")
        return value


def activity_handlers() -> list[tuple[str, type]]:
    return [(r"api/capella-share/activity", ActivityHandler)]
