"""Sealed backups from inside the app process, and a restore that refuses anything changed, swapped or incomplete.

DuckDB lets one process open the file, so backups run in the app (a button for the administrator, and a daily one by
itself). `EXPORT DATABASE` writes every table as Parquet, with the schema beside it, into a private working folder;
each file is then sealed with AES-256-GCM (the `cryptography` library) into the new backup's folder, and the plain
export is deleted whatever happens. A backup's files are worthless without its key, and a backup that has been
changed cannot pass as genuine: a checksum file could simply be recomputed by whoever changed the files, an
authentication tag cannot without the key.

- The key is a 32-byte file kept apart from the backups: `CLINIC_BACKUP_KEY`, or `backup.key` beside the database
  (data/backups/ -> data/backup.key). The first backup makes it (owner-only); a key other accounts can read, or one
  inside the backup folder, is refused.
- Each file is sealed with its own random 96-bit nonce, and its name and the backup's random id are authenticated with
  it, so a file renamed, or swapped in from another backup, is refused like a changed one.
- A sealed manifest lists every file with its size, so a removed, added or truncated file is refused by name.
- A backup is written under a `.partial-` name and renamed into place only when whole; a failure removes it, and what a
  killed backup left is removed by the next. Names carry microseconds, and a name taken is never overwritten.

Restoring authenticates the manifest and every file before anything is written, then imports into a new file, so a
bad backup never overwrites anything. The last 14 are kept.

    python -m core.backup restore DIR --db NEW_PATH [--key FILE]
"""

from __future__ import annotations

import argparse
import errno
import itertools
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core import audit, db
from core.access import User, require

MANIFEST = "MANIFEST.sealed"
SEALED = ".sealed"
LEGACY_CHECKSUMS = "SHA256SUMS"
"""What backups held before they were sealed: plain Parquet and this checksum file. Such a folder is still listed (and
so ages out like any other), but it cannot be authenticated and restore refuses it."""
PARTIAL = ".partial-"
RESTORING = ".restore-"
FORMAT = "clinic-backup/1"
_MANIFEST_DATA = f"{FORMAT}\nmanifest".encode()
"""What the manifest's tag vouches for besides its bytes (a file's is `_associated`)."""
KEY_ENV = "CLINIC_BACKUP_KEY"
KEY_NAME = "backup.key"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
BLOCK = 1 << 20
KEEP = 14
EVERY = timedelta(days=1)
STAMP = "%Y%m%d-%H%M%S-%f"
STAMP_CHARS = len("20261130-020000-000000")
SECOND = "%Y%m%d-%H%M%S"
SECOND_CHARS = len("20261130-020000")
LOOK_EVERY_SECONDS = 3600
_MAKING = threading.Lock()
"""One backup at a time in this process (the only one that opens the store): the daily one and a click can coincide,
and a backup removes the `.partial-` folders it finds, which must never be another's still being written."""
log = logging.getLogger(__name__)


def folder_for(db_path: Path) -> Path:
    """Backups live beside the database: data/clinic.duckdb -> data/backups/."""
    return Path(db_path).parent / "backups"


def key_file(folder: Path) -> Path:
    """The key of the backups in `folder`: the file CLINIC_BACKUP_KEY names, else `backup.key` beside the database,
    i.e. beside the backups folder (data/backups/ -> data/backup.key), never inside it."""
    named = os.environ.get(KEY_ENV, "").strip()
    return Path(named) if named else Path(folder).parent / KEY_NAME


def make(con, folder: Path, user: User | None = None, now: datetime | None = None, key: Path | None = None) -> Path:
    """Write one sealed backup, audited; then keep only the newest KEEP. `user` None is the app's own daily backup; a
    person must be an administrator. `key` defaults to `key_file(folder)`, made on the first backup. Its folders and
    files are the owner's only from the moment they exist: `con` comes from db.open_store, which set the process's
    umask (db.keep_files_private). Raises ValueError, naming the key, when the key cannot be used."""
    if user is not None:
        user = require(con, user, {"admin"})
    folder = Path(folder)
    key_path = Path(key) if key else key_file(folder)
    now = now or datetime.now()
    with _MAKING:
        folder.mkdir(parents=True, exist_ok=True)
        if key_path.resolve().is_relative_to(folder.resolve()):
            raise ValueError(f"{key_path}: the backup key is inside the backup folder {folder}, so whoever has a copy "
                             f"of the backups would have the key too. Keep it elsewhere ({KEY_ENV}).")
        secret = _load_key(key_path, create=True)
        _remove_leftovers(folder)
        work = Path(tempfile.mkdtemp(prefix=PARTIAL, dir=folder))
        try:
            files = _export_sealed(con, work, secret, now)
            target = _place(work / "sealed", folder, now)
        finally:
            shutil.rmtree(work, ignore_errors=True)  # the plain export, and on failure the half-sealed copy
        with db.transaction(con) as cur:
            db.audit(cur, user.id if user else None, "backup_made", "database", None,
                     {"folder": target.name, "files": files, "automatic": user is None})
        _prune(folder)
    return target


def _export_sealed(con, work: Path, secret: bytes, now: datetime) -> int:
    """Export the store into `work/export` (plain, private, deleted file by file as it is sealed) and seal every file
    and the manifest into `work/sealed`; the number of files sealed."""
    plain, out = work / "export", work / "sealed"
    plain.mkdir(mode=0o700)
    out.mkdir(mode=0o700)
    with db.read(con) as cur:
        cur.execute("EXPORT DATABASE '" + str(plain).replace("'", "''") + "' (FORMAT parquet)")
    backup_id = uuid.uuid4().hex
    sizes = {}
    for path in sorted(plain.iterdir()):
        sizes[path.name] = path.stat().st_size
        _seal(path, out / (path.name + SEALED), secret, _associated(backup_id, path.name))
        path.unlink()
    manifest = json.dumps({"format": FORMAT, "id": backup_id, "made": now.isoformat(), "files": sizes}).encode()
    nonce = os.urandom(NONCE_BYTES)
    _write_synced(out / MANIFEST, nonce + AESGCM(secret).encrypt(nonce, manifest, _MANIFEST_DATA))
    db.fsync(out)
    return len(sizes)


def _associated(backup_id: str, name: str) -> bytes:
    """What a file's tag vouches for besides its bytes: which backup it belongs to and under what name."""
    return f"{FORMAT}\n{backup_id}\n{name}".encode()


def _seal(source: Path, target: Path, secret: bytes, associated: bytes) -> None:
    """nonce, ciphertext, tag: the layout of AESGCM.encrypt, written a block at a time so a large table never has to
    fit in memory."""
    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.AES(secret), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated)
    with source.open("rb") as plain, target.open("xb") as out:
        out.write(nonce)
        for block in iter(lambda: plain.read(BLOCK), b""):
            out.write(encryptor.update(block))
        out.write(encryptor.finalize() + encryptor.tag)
        out.flush()
        os.fsync(out.fileno())


def _unseal(source: Path, target: Path | None, secret: bytes, associated: bytes, size: int) -> None:
    """Decrypt `source` into `target` (or nowhere, to check it); InvalidTag if it is not exactly what was sealed. The
    caller uses `target` only when this returns."""
    with source.open("rb") as src, (target.open("xb") if target else nullcontext()) as out:
        nonce = src.read(NONCE_BYTES)
        src.seek(-TAG_BYTES, os.SEEK_END)
        tag = src.read(TAG_BYTES)
        src.seek(NONCE_BYTES)
        decryptor = Cipher(algorithms.AES(secret), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(associated)
        for start in range(0, size, BLOCK):
            plain = decryptor.update(src.read(min(BLOCK, size - start)))
            if out:
                out.write(plain)
        decryptor.finalize()


def _place(finished: Path, folder: Path, now: datetime) -> Path:
    """Rename the finished backup to its name, the next free one if that is taken: a rename never replaces a folder
    that holds files (it fails with ENOTEMPTY), so two backups in one microsecond both keep theirs."""
    base = now.strftime(STAMP)
    for n in itertools.count():
        target = folder / (f"{base}-{n}" if n else base)
        if target.exists():
            continue
        try:
            os.rename(finished, target)
        except OSError as e:
            if e.errno in (errno.EEXIST, errno.ENOTEMPTY):
                continue
            raise
        db.fsync(folder)
        return target


def _remove_leftovers(folder: Path) -> None:
    """What a backup killed part way left (its plain export among it). Called with _MAKING held: none is live."""
    for leftover in folder.glob(PARTIAL + "*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()


def _load_key(path: Path, create: bool) -> bytes:
    """The 32-byte key at `path`, made first if `create` and there is none; refused in plain words, naming the file,
    if it is missing, readable by another account, or not a key."""
    if create and not path.exists():
        _make_key(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ValueError(f"{path}: there is no backup key there. Name the file holding this backup's key with --key "
                         f"(or {KEY_ENV}); without it the backup cannot be restored.") from None
    if mode & 0o077:
        raise ValueError(f"{path}: the backup key is readable by other accounts; make it its owner's only "
                         f"(chmod 600 {path}) and try again.")
    secret = path.read_bytes()
    if len(secret) != KEY_BYTES:
        raise ValueError(f"{path}: this is not a backup key (a key is {KEY_BYTES} bytes, this file is {len(secret)}).")
    return secret


def _make_key(path: Path) -> None:
    """Write a new random key under a temporary name and link it into place, which fails if a key appeared there
    meanwhile: a key is never overwritten, and never seen half-written."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600 whatever the umask
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(AESGCM.generate_key(bit_length=KEY_BYTES * 8))
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return
        db.fsync(path.parent)
        log.warning("A new backup key was made at %s. Keep a copy of it apart from the backups: without it no backup "
                    "can be restored, and with it anyone holding the backups can read them.", path)
    finally:
        os.unlink(temporary)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def sealed(backup: Path) -> bool:
    """Whether a listed backup is sealed; one from before backups were sealed is plain and cannot be restored."""
    return (Path(backup) / MANIFEST).is_file()


def _order(backup: Path) -> tuple[str, int]:
    """Oldest first by time, then by the counter a name taken in the same microsecond got (-2 before -10)."""
    counter = backup.name[STAMP_CHARS + 1:]
    return backup.name[:STAMP_CHARS], int(counter) if counter.isdigit() else 0


def backups(folder: Path) -> list[Path]:
    """Finished backups, newest first (a folder still being written has a dot name and is not one)."""
    if not folder.exists():
        return []
    done = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
            and ((p / MANIFEST).exists() or (p / LEGACY_CHECKSUMS).exists())]
    return sorted(done, key=_order, reverse=True)


def _prune(folder: Path) -> None:
    for old in backups(folder)[KEEP:]:
        shutil.rmtree(old)


def due(folder: Path, now: datetime | None = None) -> bool:
    """Whether the daily backup should run: none yet, or the newest is a day old."""
    newest = backups(folder)
    if not newest:
        return True
    made = datetime.strptime(newest[0].name[:SECOND_CHARS], SECOND)
    return (now or datetime.now()) - made >= EVERY


def wanted() -> bool:
    """The daily backup runs unless CLINIC_BACKUPS=0 (the test suite turns it off; a clinic should not)."""
    return os.environ.get("CLINIC_BACKUPS", "1") != "0"


@dataclass(frozen=True)
class Daily:
    """The running daily backup. The app lets it run as long as the process; whoever closes the store while the
    process goes on (a test) stops it first: a connection closed in the middle of a backup's call refuses."""

    thread: threading.Thread
    stopping: threading.Event

    def stop(self, timeout: float = 60) -> None:
        """End the thread after what it is doing now, and wait for it."""
        self.stopping.set()
        self.thread.join(timeout)


def start_daily(con, folder: Path) -> Daily:
    """Look once an hour, from a thread of the app process, and make the day's backup when it is due."""
    stopping = threading.Event()
    thread = threading.Thread(target=_daily, args=(con, folder, stopping), name="daily-backup", daemon=True)
    thread.start()
    return Daily(thread, stopping)


def _daily(con, folder: Path, stopping: threading.Event) -> None:
    while not stopping.is_set():
        try:
            if due(folder):
                made = make(con, folder)
                log.info("Daily backup written to %s", made)
        except duckdb.ConnectionException:
            return  # the store was closed: this process no longer serves it
        except (duckdb.Error, OSError, ValueError) as e:
            log.error("Daily backup failed: %s", str(e).splitlines()[0])
        stopping.wait(LOOK_EVERY_SECONDS)


def check(folder: Path, key: Path | None = None) -> None:
    """Authenticate a backup without writing anything; ValueError naming the first file that is missing, changed,
    truncated, swapped or not part of it. `key` defaults to `key_file` of the folder holding the backup."""
    _open(Path(folder), key, None)


def _open(folder: Path, key: Path | None, into: Path | None) -> None:
    """Authenticate the manifest, then every file it lists, decrypting each into `into` when given."""
    key_path = Path(key) if key else key_file(folder.parent)
    secret = _load_key(key_path, create=False)
    manifest = _manifest(folder, secret, key_path)
    files = manifest["files"]
    belongs = {name + SEALED for name in files} | {MANIFEST}
    for path in sorted(folder.iterdir()):
        if path.name not in belongs:
            raise ValueError(f"{path}: it is not part of this backup (its manifest does not list it); the backup was "
                             "changed after it was made.")
    for name, size in files.items():
        path = folder / (name + SEALED)
        if not path.is_file():
            raise ValueError(f"{path}: it is missing; the backup is incomplete.")
        difference = path.stat().st_size - (NONCE_BYTES + size + TAG_BYTES)
        if difference:
            bytes_ = f"{abs(difference)} byte{'s' if abs(difference) != 1 else ''}"
            raise ValueError(f"{path}: it is {bytes_} {'longer' if difference > 0 else 'shorter'} than when it was "
                             "made; it was truncated or changed.")
        try:
            _unseal(path, into / name if into else None, secret, _associated(manifest["id"], name), size)
        except InvalidTag:
            raise ValueError(f"{path}: it does not authenticate with the key {key_path}; it was changed after it was "
                             "made, or comes from another backup.") from None
    if "schema.sql" not in files or "load.sql" not in files:
        raise ValueError(f"{folder}: schema.sql or load.sql is missing; this is not a database export.")


def _manifest(folder: Path, secret: bytes, key_path: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        if (folder / LEGACY_CHECKSUMS).exists():
            raise ValueError(f"{path}: it is missing: this is a plain backup from before backups were sealed, and "
                             "nothing in it can be authenticated.")
        raise ValueError(f"{path}: it is missing; this is not a complete backup.")
    data = path.read_bytes()
    try:
        return json.loads(AESGCM(secret).decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], _MANIFEST_DATA))
    except InvalidTag:
        raise ValueError(f"{path}: cannot be opened with the key {key_path}: it was changed, or this backup was "
                         "sealed with another key.") from None


def restore(folder: Path, new_path: Path, key: Path | None = None) -> None:
    """Authenticate every file, then import into `new_path`, which must not exist yet (nothing is ever overwritten),
    and anchor its audit trail: it must verify under the audit key of `new_path`'s folder. The decrypted export lives
    in a private folder beside `new_path` only while it is imported."""
    folder, new_path = Path(folder), Path(new_path)
    if new_path.exists():
        raise ValueError(f"{new_path}: already exists; restore into a new file and never over a database.")
    db.keep_files_private()
    new_path.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=RESTORING, dir=new_path.parent))
    try:
        _open(folder, key, work)
        con = db.connect(new_path)
        try:
            con.execute("IMPORT DATABASE '" + str(work).replace("'", "''") + "'")
        except duckdb.Error as e:
            con.close()
            new_path.unlink(missing_ok=True)
            Path(str(new_path) + ".wal").unlink(missing_ok=True)
            raise ValueError(f"{folder}: the import failed ({str(e).splitlines()[0]}); nothing was written.") from None
        try:
            audit.adopt(con, new_path)  # the trail checked under the audit key, and its head written (core/audit.py)
        except ValueError:
            con.close()
            new_path.unlink(missing_ok=True)
            Path(str(new_path) + ".wal").unlink(missing_ok=True)
            raise
        con.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.backup", description="Restore a backup into a new file.")
    commands = parser.add_subparsers(dest="command", required=True)
    back = commands.add_parser("restore", help="authenticate a sealed backup and restore it into a new file")
    back.add_argument("folder", type=Path, help="a backup folder, e.g. data/backups/20261130-020000-000000")
    back.add_argument("--db", type=Path, required=True, help="the new database file (must not exist)")
    back.add_argument("--key", type=Path, default=None,
                      help=f"the backup key file (default: ${KEY_ENV}, else backup.key beside the backups folder)")
    args = parser.parse_args(argv)
    try:
        restore(args.folder, args.db, args.key)
    except ValueError as refused:
        print(f"Refused: {refused} Nothing was restored.", file=sys.stderr)
        return 1
    print(f"Restored {args.folder} into {args.db}. Point CLINIC_DB at it to use it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
