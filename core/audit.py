"""Verify the audit trail against its anchor outside the database, and the signed records against their seals.

    python -m core.audit verify --db PATH

Run it on the database file itself with the app stopped (DuckDB lets one process open the file): opening the real
file replays its write-ahead log, which a copy of the file alone would miss. The key and the head are looked for in
CLINIC_AUDIT_DIR, or beside the database. While the app runs, an administrator verifies from the Administration page
(`verify`), through the app's own connection. Either prints every problem in words and exits 0 only when there is none.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core import db, seals
from core.access import User, require
from core.audit_chain import Anchor, AnchorError, Head, anchor_of, head_in, plain_hash

BATCH = 10_000
SHOWN_BREAKS = 10
"""Chain breaks listed one by one; a trail recomputed from some row on breaks at every row after it."""


@dataclass
class Report:
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        if self.intact:
            verified = (f"Audit trail verified: {self.rows} rows, keyed chain and head match, every signed "
                        "record matches its seal.")
            return [verified, *self.notes]
        return [f"Audit trail NOT verified: {len(self.problems)} problem(s) in {self.rows} rows.",
                *self.problems, *self.notes]


def check(cur, anchor: Anchor, head: Head | None, head_problem: str | None) -> Report:
    """Verify, inside `cur`'s snapshot, with `head` as read at the moment that snapshot began."""
    report = Report()
    last = _check_chain(cur, anchor, report)
    _check_head(cur, anchor, head, head_problem, last, report)
    for occurred_at, action, detail in cur.execute(
            "SELECT occurred_at, action, detail FROM audit_log WHERE list_contains(?, action) ORDER BY id",
            [list(db.INCIDENTS)]).fetchall():
        report.problems.append(f"On {occurred_at:%d %b %Y at %H:%M} the app started and found: "
                               f"{_incident(action, json.loads(detail))}")
    report.problems += seals.check(cur, anchor)
    return report


def _walk(cur, anchor: Anchor):
    """Each audit row in id order, whether it breaks the chain (it must follow the row before and carry its keyed
    hash), and the id of the row before it."""
    cur.execute("SELECT id, occurred_at, actor_id, action, entity, entity_id, detail, prev_hash, row_hash "
                "FROM audit_log ORDER BY id")
    previous, previous_id = "", None
    while batch := cur.fetchmany(BATCH):
        for row in batch:
            yield row, row[7] != previous or row[8] != anchor.chain_hash(row[7], *row[:7]), previous_id
            previous, previous_id = row[8], row[0]


def first_broken(con) -> tuple[int, int | None]:
    """(rows checked, id of the first row that breaks the keyed chain or None): the chain alone, for a caller that
    holds the connection (the crash tests, after a kill)."""
    checked = 0
    with db.read(con) as cur:
        for row, broken, _ in _walk(cur, anchor_of(con)):
            checked += 1
            if broken:
                return checked, row[0]
    return checked, None


def _check_chain(cur, anchor: Anchor, report: Report) -> int | None:
    """Every row that breaks the chain, in words (the first SHOWN_BREAKS); returns the newest row's id."""
    breaks, last = 0, None
    for row, broken, previous_id in _walk(cur, anchor):
        report.rows += 1
        last = row[0]
        if broken:
            breaks += 1
            if breaks <= SHOWN_BREAKS:
                report.problems.append(_break(row, previous_id, anchor))
    if breaks > SHOWN_BREAKS:
        report.problems.append(f"... and {breaks - SHOWN_BREAKS} more audit rows after those do not verify.")
    return last


def _break(row, previous_id: int | None, anchor: Anchor) -> str:
    row_id = row[0]
    if row[8] == plain_hash(row[7], *row[:7]):
        return (f"Audit row {row_id}: its hash was made with the public recipe, not the audit key: the row was "
                "written or rewritten outside the app.")
    if row[8] != anchor.chain_hash(row[7], *row[:7]):
        return (f"Audit row {row_id}: its content does not match its keyed hash: it was changed, or written "
                "outside the app.")
    after = f"row {previous_id}" if previous_id is not None else "the start of the trail"
    return (f"Audit row {row_id}: it does not follow {after}: a row between them was removed, or one was "
            "inserted.")


def _check_head(cur, anchor: Anchor, head: Head | None, head_problem: str | None, last: int | None,
                report: Report) -> None:
    """The head outside the file must name a row still in the trail, with as many rows up to it as it counted."""
    if head_problem:
        report.problems.append(head_problem)
        return
    if head is None:
        report.problems.append(f"The audit head {anchor.head_path} is missing, so rows removed from the end of "
                               "the trail cannot be ruled out.")
        return
    up_to = head.last_id if head.last_id is not None else 0
    at_head, present, after = cur.execute(
        "SELECT (SELECT row_hash FROM audit_log WHERE id = ?), count(*) FILTER (id <= ?), count(*) FILTER (id > ?) "
        "FROM audit_log", [up_to, up_to, up_to]).fetchone()
    if head.last_id is not None and at_head is None:
        report.problems.append(
            f"The newest audit rows are missing: the head records {head.rows} rows up to row {head.last_id}, which "
            f"is no longer in the trail ({head.rows - present} rows missing; the trail now ends at "
            f"{'row ' + str(last) if last is not None else 'no row at all'}).")
    elif head.last_id is not None and at_head != head.last_hash:
        report.problems.append(f"Audit row {head.last_id}, the newest when the head was saved, is not the row "
                               "the head recorded: the end of the trail was replaced.")
    elif present != head.rows:
        report.problems.append(f"{head.rows - present} audit rows are missing: the head records {head.rows} rows "
                               f"up to row {head.last_id}, the trail holds {present}.")
    if after:
        report.notes.append(f"{after} audit rows were written after the head was last saved (the app stopped "
                            "between a commit and its head); they are accepted because they chain under the key.")


def _incident(action: str, detail: dict) -> str:
    if action == db.HEAD_MISSING:
        return (f"{detail.get('problem', 'the audit head was missing')} It took the trail as it was then "
                f"({detail.get('rows_found')} rows): rows removed from its end before then cannot be counted.")
    return (f"the head recorded {detail.get('head_rows')} rows up to row {detail.get('head_last_id')}, but the trail "
            f"held {detail.get('rows_found')} and not that row: its newest rows had been removed.")


def _read_head(anchor: Anchor) -> tuple[Head | None, str | None]:
    try:
        return anchor.read_head(), None
    except AnchorError as e:
        return None, str(e)


def adopt(con, path: Path) -> None:
    """Anchor a database made outside `db.open_store` (a restore, core/backup.py): its trail must verify under the
    audit key for its folder (the one the backup's database used: keep it there), and then its head is written. A
    ValueError says why not, in words."""
    try:
        anchor = Anchor.load(Path(path))
    except AnchorError as e:
        raise ValueError(f"{path}: {e}") from None
    with db.read(con) as cur:
        report = Report()
        _check_chain(cur, anchor, report)
        report.problems += seals.check(cur, anchor)
        if report.problems:
            raise ValueError(f"{path}: the restored audit trail does not verify under the audit key "
                             f"{anchor.key_path}: {report.problems[0]}")
        anchor.write_head(head_in(cur))


def verify(con, user: User) -> Report:
    """An administrator's check of the live trail through the app's own connection, audited. The head is read
    under the write lock while the snapshot begins, so a commit cannot land between the two."""
    user = require(con, user, {"admin"})
    anchor = anchor_of(con)
    with db.read(con) as cur:
        with db.writes_paused():
            cur.execute("BEGIN TRANSACTION")
            cur.execute("SELECT count(*) FROM audit_log").fetchall()
            head, problem = _read_head(anchor)
        try:
            report = check(cur, anchor, head, problem)
        finally:
            cur.execute("ROLLBACK")
    with db.transaction(con) as cur:
        db.audit(cur, user.id, "audit_verified", "database", None,
                 {"rows": report.rows, "problems": len(report.problems)})
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.audit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("verify", help="verify the audit trail, its head and the signed records")
    run.add_argument("--db", required=True, help="the clinic database file itself, with the app stopped")
    args = parser.parse_args(argv)
    try:
        con = db.connect(args.db, read_only=True)
    except duckdb.Error as e:
        print(f"Cannot open {args.db}: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    try:
        anchor = Anchor.load(Path(args.db))
    except AnchorError as e:
        con.close()
        print(f"Cannot verify {args.db}: {e}", file=sys.stderr)
        return 2
    try:
        head, problem = _read_head(anchor)
        with db.read(con) as cur:
            report = check(cur, anchor, head, problem)
    finally:
        con.close()
    print("\n".join(report.lines()))
    return 0 if report.intact else 1


if __name__ == "__main__":
    sys.exit(main())
