"""The audit trail's hash chain: verify that no row was changed, removed or slipped in.

    python -m core.audit verify --db PATH

Run it on a copy or while the app is stopped (DuckDB lets one process open the file). It
prints the first row whose hashes do not match, or that the chain is intact, and exits 0
only when it is intact.
"""

from __future__ import annotations

import argparse
import sys

import duckdb

from core import db
from core.audit_chain import chain_hash

BATCH = 10_000


def first_broken(con) -> tuple[int, int | None]:
    """(rows checked, id of the first row that breaks the chain or None)."""
    cur = con.cursor()
    try:
        cur.execute("SELECT id, occurred_at, actor_id, action, entity, entity_id, detail, prev_hash, row_hash "
                    "FROM audit_log ORDER BY id")
        previous, checked = "", 0
        while batch := cur.fetchmany(BATCH):
            for row in batch:
                checked += 1
                if row[7] != previous or row[8] != chain_hash(previous, *row[:7]):
                    return checked, row[0]
                previous = row[8]
        return checked, None
    finally:
        cur.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.audit", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="check the audit trail's hash chain")
    check.add_argument("--db", required=True, help="the clinic database file (a copy, or with the app stopped)")
    args = parser.parse_args(argv)
    try:
        con = db.connect(args.db, read_only=True)
    except duckdb.Error as e:
        print(f"Cannot open {args.db}: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    try:
        checked, broken = first_broken(con)
    finally:
        con.close()
    if broken is None:
        print(f"Audit chain intact: {checked} rows.")
        return 0
    print(f"Audit chain broken at row {broken}: it was changed, or a row before it was removed or inserted "
          f"({checked - 1} rows before it verify).")
    return 1


if __name__ == "__main__":
    sys.exit(main())
