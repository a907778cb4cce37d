"""The audit trail's chain and its anchor outside the database: one definition, used to write each row, to key and
seal old rows and to verify the trail.

Whoever can write the database file can also recompute a hash whose recipe is in this code, so the chain is keyed:
each row's hash is an HMAC-SHA256 under a secret key kept in a file beside the database, never in it (`audit.key` in
CLINIC_AUDIT_DIR, or in the database's own folder). A keyed chain still cannot show that its newest rows were removed,
so the app also keeps the chain's head (rows, last id, last hash, with an HMAC over them) in a second file there,
`<database file name>.audit-head`, rewritten after every commit that appended audit rows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

KEY_FILE = "audit.key"
HEAD_SUFFIX = ".audit-head"
KEY_BYTES = 32
AUDIT_DIR_ENV = "CLINIC_AUDIT_DIR"


class AnchorError(RuntimeError):
    """The key or the head cannot be used; the message names the file and what to do."""


def plain_hash(previous: str, row_id: int, occurred_at: datetime, actor_id: int | None, action: str, entity: str,
               entity_id: int | None, detail: str) -> str:
    """The chain's first, unkeyed recipe (SHA-256): still needed to seal rows older than the chain (migration 6) and
    to check the old chain once before it is keyed (migration 8)."""
    return hashlib.sha256(_row_text(previous, row_id, occurred_at, actor_id, action, entity, entity_id,
                                    detail)).hexdigest()


def _row_text(previous, row_id, occurred_at, actor_id, action, entity, entity_id, detail) -> bytes:
    fields = (previous, str(row_id), occurred_at.isoformat(timespec="microseconds"),
              "" if actor_id is None else str(actor_id), action, entity, "" if entity_id is None else str(entity_id),
              detail)
    return "\x1f".join(fields).encode()


def anchor_folder(db_path: Path) -> Path:
    """Where the key and the head live: CLINIC_AUDIT_DIR when set, else the database's own folder."""
    configured = os.environ.get(AUDIT_DIR_ENV)
    return Path(configured) if configured else Path(db_path).parent


@dataclass(frozen=True)
class Head:
    """How many audit rows the app had written, and the id and hash of the newest, when it last committed."""

    rows: int
    last_id: int | None
    last_hash: str

    def after(self, rows: int, last_id: int, last_hash: str) -> Head:
        return Head(self.rows + rows, last_id, last_hash)


class Anchor:
    """The key and the head file of one database file."""

    def __init__(self, key: bytes, folder: Path, db_name: str) -> None:
        self.key = key
        self.folder = folder
        self.key_path = folder / KEY_FILE
        self.head_path = folder / (db_name + HEAD_SUFFIX)
        self.head: Head | None = None
        """What the app last wrote to the head file (or took from it at start), so each commit adds to it."""

    @classmethod
    def load(cls, db_path: Path, create: bool = False) -> Anchor:
        """The anchor of the database at `db_path`. A missing key is made only when `create` is true (a new database,
        or one whose chain is not keyed yet); otherwise it is refused in words naming the file it must be in."""
        db_path = Path(db_path)
        folder = anchor_folder(db_path)
        key_path = folder / KEY_FILE
        if not key_path.exists():
            if not create:
                raise AnchorError(
                    f"The audit key {key_path} is missing. The audit trail of {db_path} is keyed with it, and a new "
                    f"key would make the whole trail fail verification. Put back the copy you keep (see the README, "
                    f"'What to keep beside the database'), or point {AUDIT_DIR_ENV} at the folder that holds it.")
            folder.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # made a moment ago by another start in the same folder: use that one
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(secrets.token_bytes(KEY_BYTES).hex().encode())
                    f.flush()
                    os.fsync(f.fileno())
        try:
            key = bytes.fromhex(key_path.read_text().strip())
        except (OSError, ValueError) as e:
            raise AnchorError(f"The audit key {key_path} cannot be read ({e}).") from None
        if len(key) != KEY_BYTES:
            raise AnchorError(f"The audit key {key_path} is not a key this app made ({len(key)} bytes, not "
                              f"{KEY_BYTES}).")
        return cls(key, folder, db_path.name)

    def _mac(self, data: bytes) -> str:
        return hmac.new(self.key, data, hashlib.sha256).hexdigest()

    def chain_hash(self, previous: str, row_id: int, occurred_at: datetime, actor_id: int | None, action: str,
                   entity: str, entity_id: int | None, detail: str) -> str:
        """HMAC-SHA256 under the key over the previous row's hash and every stored field of this row."""
        return self._mac(_row_text(previous, row_id, occurred_at, actor_id, action, entity, entity_id, detail))

    def seal(self, table: str, values: tuple) -> str:
        """HMAC over a signed record's content as stored, so a change made to it outside the app shows."""
        return self._mac(json.dumps([table, *values], default=str, separators=(",", ":")).encode())

    def digest(self, seals: list[str]) -> str:
        """One HMAC over many records' seals, in id order: the seal of records written in bulk."""
        return self._mac("\n".join(seals).encode())

    def _head_mac(self, head: Head) -> str:
        return self._mac(json.dumps(["audit head", head.rows, head.last_id, head.last_hash]).encode())

    def read_head(self) -> Head | None:
        """The head file's content, None when there is none; AnchorError when it is not one the key signed."""
        try:
            text = self.head_path.read_text()
        except FileNotFoundError:
            return None
        try:
            stored = json.loads(text)
            head = Head(int(stored["rows"]), stored["last_id"], str(stored["last_hash"]))
            mac = str(stored["mac"])
        except (ValueError, KeyError, TypeError):
            raise AnchorError(f"The audit head {self.head_path} is not readable.") from None
        if not hmac.compare_digest(mac, self._head_mac(head)):
            raise AnchorError(f"The audit head {self.head_path} was not written with this audit key (it was "
                              f"changed, or belongs to another key).")
        return head

    def write_head(self, head: Head) -> None:
        """Replace the head file whole (a temporary file renamed over it), so a crash leaves the old or the new one.
        The data is synced before the rename; a crash before the rename leaves the head a few rows behind, which
        verify accepts when those rows chain correctly under the key."""
        temporary = self.head_path.with_name(self.head_path.name + ".tmp")
        content = {"rows": head.rows, "last_id": head.last_id, "last_hash": head.last_hash,
                   "mac": self._head_mac(head)}
        with open(temporary, "w") as f:
            json.dump(content, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, self.head_path)
        self.head = head


def head_in(cur) -> Head:
    """The head as the database holds it now: for a database just built, keyed or restored, and trusted as such."""
    rows, last_id, last_hash = cur.execute(
        "SELECT count(*), max(id), coalesce(arg_max(row_hash, id), '') FROM audit_log").fetchone()
    return Head(rows, last_id, last_hash)


def append(cur, anchor: Anchor, actor_id: int | None, action: str, entity: str = "", entity_id: int | None = None,
           detail: dict | None = None) -> tuple[int, str]:
    """Insert one audit row chained under the key to the newest row; returns its id and hash."""
    (previous,) = cur.execute(
        "SELECT coalesce((SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1), '')").fetchone()
    (row_id,) = cur.execute("SELECT nextval('audit_id_seq')").fetchone()
    row = (row_id, datetime.now(), actor_id, action, entity, entity_id, json.dumps(detail or {}, sort_keys=True))
    digest = anchor.chain_hash(previous, *row)
    cur.execute(
        "INSERT INTO audit_log (id, occurred_at, actor_id, action, entity, entity_id, detail, prev_hash, row_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [*row, previous, digest])
    return row_id, digest


_ANCHORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""Each open connection's anchor, registered by db.open_store: finding a connection's file from SQL
(duckdb_databases()) took about 4 ms on the clinic's machine, too much for every write."""


def register(con, anchor: Anchor) -> None:
    _ANCHORS[con] = anchor


def anchor_of(con) -> Anchor:
    """The anchor registered for `con`, or, for a connection opened some other way, the one beside its file."""
    anchor = _ANCHORS.get(con)
    if anchor is None:
        (path,) = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
        anchor = Anchor.load(Path(path))
        anchor.head = anchor.read_head()
        _ANCHORS[con] = anchor
    return anchor
