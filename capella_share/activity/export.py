"""Records as people read them elsewhere: CSV rows a spreadsheet opens safely."""

from __future__ import annotations

import json
import typing as t

#: The columns of the CSV download; whatever else a record says goes in "details".
CSV_COLUMNS = ("seq", "at", "action", "level", "link", "user", "name", "path", "to")
#: Not part of what a record says (its place in the chain).
_CHAIN = ("hash", "prev")
#: A spreadsheet takes a cell starting with one of these for a formula.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: t.Any) -> str:
    """A value as a CSV cell no spreadsheet runs: names and code come from guests."""
    text = value if isinstance(value, str) else "" if value is None else json.dumps(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_row(record: dict[str, t.Any]) -> list[str]:
    details = {
        key: value for key, value in record.items() if key not in CSV_COLUMNS and key not in _CHAIN
    }
    row = [csv_cell(record.get(column)) for column in CSV_COLUMNS]
    row.append(csv_cell(json.dumps(details, ensure_ascii=False, sort_keys=True) if details else ""))
    return row
