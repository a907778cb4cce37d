"""Backups from inside the app process, and a restore that refuses anything damaged or incomplete.

DuckDB lets one process open the file, so backups run in the app (a button for the
administrator, and a daily one by itself): `EXPORT DATABASE` writes every table as
Parquet with the schema beside it into `data/backups/<timestamp>/`, and a checksum file
lists every file with its SHA-256. The last 14 are kept. Restoring checks every checksum
first and then imports into a new file, so a bad backup never overwrites anything.

    python -m core.backup restore DIR --db NEW_PATH
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from core import audit, db
from core.access import User, require

CHECKSUMS = "SHA256SUMS"
KEEP = 14
EVERY = timedelta(days=1)
STAMP = "%Y%m%d-%H%M%S"
LOOK_EVERY_SECONDS = 3600
log = logging.getLogger(__name__)


def folder_for(db_path: Path) -> Path:
    """Backups live beside the database: data/clinic.duckdb -> data/backups/."""
    return Path(db_path).parent / "backups"


def make(con, folder: Path, user: User | None = None, now: datetime | None = None) -> Path:
    """Write one backup and its checksums, audited; then keep only the newest KEEP. `user` None is the app's own
    daily backup; a person must be an administrator. Its folders and files are the owner's only from the moment they
    exist: `con` comes from db.open_store, which set the process's umask (db.keep_files_private)."""
    if user is not None:
        user = require(con, user, {"admin"})
    now = now or datetime.now()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / now.strftime(STAMP)
    partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder))
    with db.read(con) as cur:
        cur.execute("EXPORT DATABASE '" + str(partial).replace("'", "''") + "' (FORMAT parquet)")
    files = sorted(p for p in partial.iterdir() if p.is_file())
    (partial / CHECKSUMS).write_text("".join(f"{_sha256(p)}  {p.name}\n" for p in files))
    partial.rename(target)
    with db.transaction(con) as cur:
        db.audit(cur, user.id if user else None, "backup_made", "database", None,
                 {"folder": target.name, "files": len(files), "automatic": user is None})
    _prune(folder)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backups(folder: Path) -> list[Path]:
    """Finished backups, newest first (a folder still being written has a dot name and is not one)."""
    if not folder.exists():
        return []
    done = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / CHECKSUMS).exists()]
    return sorted(done, key=lambda p: p.name, reverse=True)


def _prune(folder: Path) -> None:
    for old in backups(folder)[KEEP:]:
        shutil.rmtree(old)


def due(folder: Path, now: datetime | None = None) -> bool:
    """Whether the daily backup should run: none yet, or the newest is a day old."""
    newest = backups(folder)
    if not newest:
        return True
    made = datetime.strptime(newest[0].name, STAMP)
    return (now or datetime.now()) - made >= EVERY


def wanted() -> bool:
    """The daily backup runs unless CLINIC_BACKUPS=0 (the test suite turns it off; a clinic should not)."""
    return os.environ.get("CLINIC_BACKUPS", "1") != "0"


def start_daily(con, folder: Path) -> threading.Thread:
    """Look once an hour, from a thread of the app process, and make the day's backup when it is due."""
    thread = threading.Thread(target=_daily, args=(con, folder), name="daily-backup", daemon=True)
    thread.start()
    return thread


def _daily(con, folder: Path) -> None:
    while True:
        try:
            if due(folder):
                made = make(con, folder)
                log.info("Daily backup written to %s", made)
        except duckdb.ConnectionException:
            return  # the store was closed: this process no longer serves it
        except (duckdb.Error, OSError) as e:
            log.error("Daily backup failed: %s", str(e).splitlines()[0])
        time.sleep(LOOK_EVERY_SECONDS)


def check(folder: Path) -> None:
    """Refuse, naming the file, a backup with a missing, damaged or unlisted file."""
    listing = folder / CHECKSUMS
    if not listing.is_file():
        raise ValueError(f"{listing}: the checksum file is missing; this is not a complete backup")
    listed = {}
    for line in listing.read_text().splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            raise ValueError(f"{path}: listed in {CHECKSUMS} but missing; the backup is incomplete")
        if _sha256(path) != digest:
            raise ValueError(f"{path}: its checksum does not match; the file is damaged")
    for path in folder.iterdir():
        if path.is_file() and path.name != CHECKSUMS and path.name not in listed:
            raise ValueError(f"{path}: not listed in {CHECKSUMS}; the backup was changed after it was made")
    if "schema.sql" not in listed or "load.sql" not in listed:
        raise ValueError(f"{folder}: schema.sql or load.sql is missing; this is not a database export")


def restore(folder: Path, new_path: Path) -> None:
    """Check every checksum, then import into `new_path`, which must not exist yet (nothing is ever overwritten), and
    anchor its audit trail: it must verify under the audit key of `new_path`'s folder."""
    folder, new_path = Path(folder), Path(new_path)
    if new_path.exists():
        raise ValueError(f"{new_path}: already exists; restore into a new file and never over a database")
    check(folder)
    db.keep_files_private()
    new_path.parent.mkdir(parents=True, exist_ok=True)
    con = db.connect(new_path)
    try:
        con.execute("IMPORT DATABASE '" + str(folder).replace("'", "''") + "'")
    except duckdb.Error as e:
        con.close()
        new_path.unlink(missing_ok=True)
        Path(str(new_path) + ".wal").unlink(missing_ok=True)
        raise ValueError(f"{folder}: the import failed ({str(e).splitlines()[0]}); nothing was written") from None
    try:
        audit.adopt(con, new_path)  # the trail checked under the audit key, and its head written (core/audit.py)
    except ValueError:
        con.close()
        new_path.unlink(missing_ok=True)
        Path(str(new_path) + ".wal").unlink(missing_ok=True)
        raise
    con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.backup", description="Restore a backup into a new file.")
    commands = parser.add_subparsers(dest="command", required=True)
    back = commands.add_parser("restore", help="check a backup's checksums and restore it into a new file")
    back.add_argument("folder", type=Path, help="a backup folder, e.g. data/backups/20261130-020000")
    back.add_argument("--db", type=Path, required=True, help="the new database file (must not exist)")
    args = parser.parse_args(argv)
    try:
        restore(args.folder, args.db)
    except ValueError as refused:
        print(f"Refused: {refused}", file=sys.stderr)
        return 1
    print(f"Restored {args.folder} into {args.db}. Point CLINIC_DB at it to use it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
