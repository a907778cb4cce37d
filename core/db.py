"""Opening the clinic's DuckDB file, and the one way to write to it: a transaction with its audit row.

DuckDB 2.0 refuses concurrent use of one connection, so callers hold the process-wide
connection and take a fresh cursor per unit of work (`transaction` and `read` do that).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from core import audit_chain, schema, seals
from core.audit_chain import Anchor, AnchorError, Head
from core.progress import Progress

DEFAULT_PATH = Path("data") / "clinic.duckdb"
HEAD_MISSING = "audit_head_missing"
ROWS_MISSING = "audit_rows_missing"
INCIDENTS = (HEAD_MISSING, ROWS_MISSING)
"""Audit rows the app writes at start when the head outside the file disagrees with the trail inside it: the finding
is kept in the keyed chain itself, so the next commit's head cannot make it disappear (core.audit reports them)."""
log = logging.getLogger(__name__)
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}
"""How every connection to the clinic's file is made. After a crash DuckDB replays the write-ahead log, and replaying
a logged CREATE TABLE needs the functions its CHECKs use (trim, length), which live in the core_functions extension.
That extension is built into the package, but with autoinstall on DuckDB 2.0 first tries to download it from
extensions.duckdb.org, so on a clinic machine without internet the file did not open at all (a kill right after a
migration, then a reopen: 5 of 5 trials failed). With autoinstall off, autoload loads the built-in copy: nothing is
ever fetched from the network, and no extension the package does not ship can be pulled in."""


class StoreError(RuntimeError):
    """A database problem described for the person starting the app, never a stack trace."""


def configured_path() -> Path:
    return Path(os.environ.get("CLINIC_DB") or DEFAULT_PATH)


def demo_wanted() -> bool:
    return os.environ.get("CLINIC_DEMO", "1").strip() != "0"


def open_store(path: Path | str, progress: Progress | None = None,
               fill: Callable[[duckdb.DuckDBPyConnection], object] | None = None) -> duckdb.DuckDBPyConnection:
    """Open (creating if new) and migrate the database, or raise StoreError naming the path and cause. `progress`
    (core/progress.py) hears how many migrations are applied. `fill` is called on a new database only, after its
    migrations and before anyone can open it (the first start's demo cohort).

    The audit trail's anchor (core/audit_chain.py) is made with a new database, checked against the trail at every
    start (`_take_head`), and registered for the connection so each write finds its key and head without a query. A
    database whose trail is keyed but whose key is missing is refused, naming where the key must be.

    A new database is built whole under a temporary name and renamed into place (see `_build`), so a start killed
    part way leaves either no file or a complete one. Each migration's commit is durable in the write-ahead log; the
    checkpoint after them writes the new schema into the file, so later starts do not replay DDL from the log (a
    crash before it is safe too: see DUCKDB_CONFIG)."""
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"Cannot open the clinic database at {path}: that path is a folder, not a file.")
    if not path.parent.exists():
        raise StoreError(f"Cannot open the clinic database at {path}: the folder {path.parent} does not exist.")
    keep_files_private()
    _remove_unfinished_build(path)
    if not path.exists():
        _build(path, _anchor(path, create=True), progress, fill)
    for owned in (path, Path(str(path) + ".wal")):
        if owned.exists():
            os.chmod(owned, 0o600)  # a file an earlier version made, or one copied in by hand, may be wider
    con = _connect_or_explain(path, path)
    try:
        anchor = _anchor(path, create=not _keyed(con))
        audit_chain.register(con, anchor)
        applied = schema.migrate(con, progress)
        if applied:
            con.execute("CHECKPOINT")  # the new schema into the file itself, not only the log (see DUCKDB_CONFIG)
        if schema.KEYED not in applied and _keyed(con):
            _take_head(con, anchor)
    except StoreError:
        con.close()
        raise
    except schema.ChainBroken as e:
        con.close()
        raise StoreError(f"Cannot open the clinic database at {path}: {e}") from None
    return con


def _anchor(path: Path, create: bool) -> Anchor:
    try:
        return Anchor.load(path, create=create)
    except AnchorError as e:
        raise StoreError(f"Cannot open the clinic database at {path}: {e}") from None


def _keyed(con) -> bool:
    """Whether the trail is already keyed: then a missing key is lost, not yet to be made."""
    try:
        return bool(con.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [schema.KEYED]).fetchall())
    except duckdb.CatalogException:
        return False


def _take_head(con, anchor: Anchor) -> None:
    """Check the head file against the trail and carry on from it. Rows after the head (a stop between a commit and
    its head) are taken on; verify checks that they chain under the key. A head that is missing or not the key's, or
    whose newest row is gone, is written into the trail as an audit row before anything else, so no later head can
    hide it; the count kept goes on from the head's, so rows removed stay missing in every later check."""
    with read(con) as cur:
        found = audit_chain.head_in(cur)
        try:
            head = anchor.read_head()
        except AnchorError as e:
            head, problem = None, str(e)
        else:
            problem = f"The audit head {anchor.head_path} was missing."
        if head is not None:
            at_head = cur.execute("SELECT row_hash, (SELECT count(*) FROM audit_log WHERE id <= ?) FROM audit_log "
                                  "WHERE id = ?", [head.last_id, head.last_id]).fetchone()
            after = cur.execute("SELECT count(*) FROM audit_log WHERE id > ?", [head.last_id or 0]).fetchone()[0]
    if head is None:
        anchor.head = found
        incident = (HEAD_MISSING, {"rows_found": found.rows, "problem": problem})
    elif head.last_id is None or at_head == (head.last_hash, head.rows):
        anchor.head = Head(head.rows + after, found.last_id, found.last_hash)
        return
    else:
        anchor.head = Head(head.rows + after, found.last_id, found.last_hash)
        incident = (ROWS_MISSING, {"head_rows": head.rows, "head_last_id": head.last_id, "rows_found": found.rows})
    with transaction(con) as cur:
        audit(cur, None, incident[0], "database", None, incident[1])


def keep_files_private() -> None:
    """Make every file this process creates from now on readable and writable by its owner only (umask 077).

    The database, its write-ahead log, DuckDB's spill files, the temporary build file, backups and restores all hold
    patients' data. DuckDB creates the log (and spill files) by itself, so a chmod afterwards would miss them and
    would leave each file open to others between its creation and the chmod (the log was 0644 beside a 0600
    database); a umask covers every one from the moment it exists. It is process-wide, which suits this app: the
    process that opens the store (the app, or one of the command-line tools) writes nothing meant for other
    accounts. `open_store` sets it before it touches a file, and so does `backup.restore`, which makes its own."""
    os.umask(0o077)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the clinic's file with DUCKDB_CONFIG, for `open_store` and the tools that open it directly."""
    return duckdb.connect(str(path), read_only=read_only, config=dict(DUCKDB_CONFIG))


def building_path(path: Path) -> Path:
    """Where a new database is built before it is renamed to `path`: beside it, so the rename is atomic."""
    return path.with_name(path.name + ".building")


def _build_files(path: Path) -> list[Path]:
    """The temporary file, its write-ahead log and DuckDB's spill folder, all named after it."""
    building = building_path(path)
    return [building, Path(str(building) + ".wal"), Path(str(building) + ".tmp")]


def _build(path: Path, anchor: Anchor, progress: Progress | None, fill) -> None:
    """Create, migrate and fill a new database under `building_path`, checkpoint it so the whole of it is in the
    one file, close it, and rename it to `path`; then sync the folder so the new name survives a power cut too.
    Until the rename nothing exists at `path`: a start killed before it leaves only the temporary file, which the
    next start removes before it builds again. Any failure removes it at once. The audit head is `path`'s from the
    start (written by the keying migration, then by each commit of `fill`)."""
    building = building_path(path)
    try:
        con = _connect_or_explain(building, path)
        audit_chain.register(con, anchor)
        try:
            schema.migrate(con, progress)
            if fill is not None:
                fill(con)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        fsync(building)
        os.replace(building, path)
        fsync(path.parent)
    except BaseException:
        _remove([*_build_files(path), anchor.head_path])
        raise


def _remove_unfinished_build(path: Path) -> None:
    """Remove what a killed first start left beside `path`, unless a process is building there right now (DuckDB
    holds a lock on a file it has open): that one is refused in plain words rather than undone."""
    leftovers = _build_files(path)
    if not any(p.exists() for p in leftovers):
        return
    if leftovers[0].exists():
        try:
            connect(leftovers[0], read_only=True).close()
        except duckdb.IOException as e:
            if "lock" in str(e).lower():
                raise StoreError(
                    f"Cannot open the clinic database at {path}: another process is creating it right now "
                    "(another copy of the app, or python -m core.first_start). Wait for it to finish and start again."
                ) from None
        except duckdb.Error:
            pass  # killed before DuckDB had written a whole header: nothing in it to open
    _remove(leftovers)


def _remove(paths: list[Path]) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink(missing_ok=True)


def fsync(path: Path) -> None:
    """Flush a file, or a folder's list of names (after a rename), to the disk: what a crash must not undo."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _connect_or_explain(path: Path, shown: Path) -> duckdb.DuckDBPyConnection:
    """`connect`, with DuckDB's errors turned into a StoreError that names `shown`, the path the person chose."""
    try:
        return connect(path)
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise StoreError(
                f"Cannot open the clinic database at {shown}: it is locked by another process "
                "(another copy of the app, or a tool holding it open). Stop that process and start again."
            ) from None
        raise StoreError(f"Cannot open the clinic database at {shown}: {_first_line(e)}") from None
    except duckdb.Error as e:
        raise StoreError(f"Cannot open the clinic database at {shown}: {_first_line(e)}") from None


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


class Conflict(Exception):
    """Another transaction changed the same rows first; this one was rolled back whole and may be tried again."""

    def __init__(self) -> None:
        super().__init__("Someone else saved a change to the same record at the same moment; nothing was saved. "
                         "Please try again.")


_WRITES = threading.RLock()
"""One write transaction at a time in this process (the only one that opens the file): each audit row is chained to
the one before it, so the row before must be settled when the next is written."""


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside BEGIN/COMMIT; any exception rolls the whole unit back, audit row included.

    DuckDB resolves two writers of one row by failing the later one (at the write or at
    COMMIT); that failure becomes `Conflict`, so callers can retry or say so in plain words.
    """
    with _WRITES:
        yield from _transaction(con)


class _Appended:
    """The audit rows a transaction has appended so far, for the head written after its COMMIT."""

    def __init__(self, con) -> None:
        self.con = con
        self.anchor: Anchor | None = None
        self.rows = 0
        self.last: tuple[int, str] | None = None

    def resolve(self) -> Anchor:
        if self.anchor is None:
            self.anchor = audit_chain.anchor_of(self.con)
        return self.anchor


_APPENDING: dict[int, _Appended] = {}
"""Per open transaction's cursor (by id, while the cursor lives): what it appended. Guarded by _WRITES."""


@contextmanager
def writes_paused() -> Iterator[None]:
    """No write transaction of this process starts or commits meanwhile: for reading the audit head and beginning a
    snapshot of the trail at one moment."""
    with _WRITES:
        yield


def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    cur = con.cursor()
    appended = _APPENDING[id(cur)] = _Appended(con)
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
    except duckdb.TransactionException:
        _rollback(cur)
        raise Conflict() from None
    except BaseException:
        _rollback(cur)
        raise
    else:
        try:
            cur.execute("COMMIT")
        except duckdb.TransactionException:
            _rollback(cur)
            raise Conflict() from None
        if appended.rows:
            _advance_head(appended)
    finally:
        del _APPENDING[id(cur)]
        cur.close()


def _advance_head(appended: _Appended) -> None:
    """After the COMMIT, still inside _WRITES so heads are written in commit order. The commit stands if the head
    cannot be written (a full disk): the next commit's head catches up, and verify accepts the rows in between
    when they chain under the key."""
    anchor = appended.anchor
    base = anchor.head or Head(0, None, "")
    try:
        anchor.write_head(base.after(appended.rows, *appended.last))
    except OSError as e:
        anchor.head = base.after(appended.rows, *appended.last)
        log.error("The audit head %s could not be written: %s", anchor.head_path, e)


def _rollback(cur) -> None:
    """Roll back what is left; after a failed COMMIT DuckDB may have ended the transaction already."""
    try:
        cur.execute("ROLLBACK")
    except duckdb.Error:
        pass


@contextmanager
def read(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    cur = con.cursor()
    try:
        yield cur
    finally:
        cur.close()


def audit(cur, actor_id: int | None, action: str, entity: str = "", entity_id: int | None = None,
          detail: dict | None = None) -> None:
    """Append one audit row inside the caller's transaction (a cursor from `transaction`). `detail` holds ids and
    codes, never patient data.

    The row carries the hash of the row before it and an HMAC under the audit key over that and its own content, so
    a changed, removed or inserted row breaks the chain, and the head written after the COMMIT shows rows removed
    from the end (`python -m core.audit verify`)."""
    appended = _appending(cur)
    appended.last = audit_chain.append(cur, appended.resolve(), actor_id, action, entity, entity_id, detail)
    appended.rows += 1


def seal(cur, table: str, record_id: int) -> str:
    """The seal of a signed record just written in this transaction, for the `seal` field of its audit row."""
    return seals.seal(cur, _appending(cur).resolve(), table, record_id)


def seal_range(cur, table: str, from_id: int) -> None:
    """Seal the records of `table` written in bulk in this transaction, from `from_id` on, with one audit row."""
    appended = _appending(cur)
    written = seals.seal_range(cur, appended.resolve(), table, from_id)
    if written:
        appended.last = written
        appended.rows += 1


def _appending(cur) -> _Appended:
    appended = _APPENDING.get(id(cur))
    if appended is None:
        raise RuntimeError("Audit rows are written inside db.transaction, so the head is kept after its COMMIT.")
    return appended



def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    with read(con) as cur:
        row = cur.execute("SELECT value FROM database_info WHERE key = 'demo'").fetchone()
    return bool(row) and row[0] == "true"
