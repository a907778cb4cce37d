"""Staff accounts: argon2id password hashes, sign-in with an audit trail, and a CLI for the first admin.

Sign-in answers the same way for an unknown user, a wrong password, a deactivated and a
locked account, and spends the same hashing work on each, so neither the message nor the
time tells an attacker which usernames exist. Five failures lock an account for fifteen
minutes (counted from the audit trail, so a restart does not unlock it). Each check costs
an Argon2 hash of 64 MiB, so only a few run at once, and an address with many failures in
the last minute is turned away before hashing. The throttle is per address, not for the
whole clinic: strangers trying invented usernames once kept every nurse out for a minute;
now an attack slows the attacker.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import threading
from datetime import datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core import db
from core.access import ROLE_LABELS, AccessDenied, User, require
from core.rules import names, validate
from core.schema import ROLES

_hasher = PasswordHasher()
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$g0yYByRptHh4AZZU0hyRQQ$QEV8y4CEc4Le5fi+MmaJug2J7bCXXrM2yrWfyYTZSSw"
"""Verified against when there is no account, so an unknown username costs the same hashing work as a known one.
A fixed hash of a random, forgotten password with the hasher's own parameters (a test checks they still match):
hashing one at import cost every process start 0.3-0.5 s of CPU."""
MIN_PASSWORD_LENGTH = 10
ADMINS = frozenset({"admin"})
LOCK_AFTER_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
HASHING_AT_ONCE = 2
"""Argon2 verifications running together (64 MiB each)."""
HASH_WAIT_SECONDS = 5.0
SOURCE_FAILURES_PER_MINUTE = 10
"""Failed sign-ins from one address in the last minute from which its next attempts are turned away unhashed: more
than a person mistyping makes, few enough that guessing from one address gets nowhere."""
SIGN_IN_FAILED = ("Sign-in failed: the username or password is not right, the account is not active, or it is "
                  "locked for 15 minutes after 5 failed sign-ins.")
BUSY = "Too many sign-in attempts right now. Wait a minute and try again."
SOURCE_BUSY = "Too many failed sign-ins from this computer. Wait a minute and try again."
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)
NOT_FOUND = "That account was not found"
ROLE_CHOICE = "Role: choose one of " + ", ".join(ROLE_LABELS[role] for role in ROLES)


class SignInBusy(ValueError):
    """Sign-in is throttled: too many failures from this address, or too many checks running at once. A refusal
    like any other (ValueError), with its own type so the sign-in form can say so apart from a wrong password."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_new_password(password: str) -> str:
    password = _typed(password, "Password")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


def create_user(con, actor: User, username: str, display_name: str, role: str, password: str,
                *, check_password: bool = True, again: str | None = None) -> User:
    """Create an account on an administrator's behalf; `again` is the password typed a second time, when the form
    asks for it (checked with the other fields, so one refusal names every problem)."""
    actor = require(con, actor, {"admin"})
    return _insert_user(con, actor.id, username, display_name, role, password, check_password, again)


def create_first_admin(con, username: str, display_name: str, password: str) -> User:
    """The one account made without an actor: the administrator of a database that has no account yet."""
    return _insert_user(con, None, username, display_name, "admin", password, True)


USERNAME = re.compile(r"[A-Za-z0-9._-]{1,32}")
NAME_MARKS = frozenset(" .,'’-()")
NAME_MAX = 80


def _typed(value, field: str) -> str:
    """What was typed in a text box ("" for nothing); anything else is refused in words, not by a TypeError."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{field}: type it as text")
    return value


def _checked_username(username: str) -> str:
    """One plain token: 'sam smith' and 'sam' look alike on a signature line, and a hidden mark would too."""
    username = _typed(username, "Username").strip()
    if len(username) > 32:
        raise ValueError("Username: at most 32 characters")
    if not USERNAME.fullmatch(username):
        raise ValueError("Username: letters, digits, dots, hyphens or underscores, without spaces")
    return username


def _checked_name(name: str) -> str:
    """The name every record this person signs will carry, so it must be a person's name in plain characters."""
    name = _typed(name, "Name shown on screen").strip()
    if not name:
        raise ValueError("Name shown on screen: enter the person's name")
    if len(name) > NAME_MAX:
        raise ValueError(f"Name shown on screen: at most {NAME_MAX} characters")
    if not all(c.isalnum() or c in NAME_MARKS for c in name):
        raise ValueError("Name shown on screen: letters and spaces, with hyphens, apostrophes or full stops")
    return name


def _not_alike(cur, display_name: str) -> None:
    """Refuse a name that would look like another account's on screen and on every record it signs (inactive
    accounts too: their signatures stay on the records), or, mixing alphabets in a word, like one made later."""
    mine = names.skeleton(display_name)
    for other, other_username in cur.execute("SELECT display_name, username FROM users ORDER BY id").fetchall():
        if names.skeleton(other) == mine:
            raise ValueError(f"Name shown on screen: {display_name} would look like {other} ({other_username}) on "
                             "screen and on signed records; add a middle initial or another part of the name")
    if names.mixed_script(display_name):
        raise ValueError("Name shown on screen: write each word in one alphabet (a word here mixes Latin letters with "
                         "Cyrillic or Greek ones that look the same, so it could pass for someone else's name)")


def _insert_user(con, actor_id: int | None, username: str, display_name: str, role: str, password: str,
                 check_password: bool, again: str | None = None) -> User:
    checked = validate.every({
        "username": lambda: _checked_username(username),
        "display_name": lambda: _checked_name(display_name),
        "role": lambda: _checked_role(role),
        "password": lambda: check_new_password(password) if check_password else None,
        "again": lambda: _same_password(password, again),
    })
    username, display_name = checked["username"], checked["display_name"]
    password_hash = hash_password(password)
    with db.transaction(con) as cur:
        if actor_id is None and cur.execute("SELECT count(*) FROM users").fetchone()[0]:
            raise ValueError("This database already has accounts: an administrator must add new ones")
        if cur.execute("SELECT 1 FROM users WHERE lower(username) = lower(?)", [username]).fetchall():
            raise ValueError(f"Username {username} is already taken")
        _not_alike(cur, display_name)
        (user_id,) = cur.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            [username, display_name, role, password_hash, datetime.now()],
        ).fetchone()
        db.audit(cur, actor_id, "user_created", "user", user_id, {"role": role, "first_admin": actor_id is None})
    return User(user_id, username, display_name, role)


def _checked_role(role) -> str:
    if not isinstance(role, str) or role not in ROLES:
        raise ValueError(ROLE_CHOICE)
    return role


def _same_password(password, again) -> None:
    if again is not None and again != password:
        raise ValueError("Password again: the two entries are not the same")


def any_accounts(con) -> bool:
    with db.read(con) as cur:
        return cur.execute("SELECT count(*) FROM users").fetchone()[0] > 0


def authenticate(con, username: str, password: str, *, source: str | None = None) -> User | None:
    """The user on a right password for an active, unlocked account, else None; every outcome is audited.

    `source` is the address the attempt came from (the browser's, None on the server itself); a failure records it.
    Raises SignInBusy, before any hashing, while failures from that address run above the limit or the hashing
    slots stay full."""
    username, password = _typed(username, "Username"), _typed(password, "Password")
    if source is not None:
        source = validate.text(source, "Address", 100)
    with db.read(con) as cur:
        (recent,) = cur.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed' "
            "AND occurred_at > current_localtimestamp() - INTERVAL 1 MINUTE "
            "AND json_extract_string(detail, '$.source') IS NOT DISTINCT FROM ?", [source]).fetchone()
        row = cur.execute(
            "SELECT id, username, display_name, role, password_hash, active FROM users "
            "WHERE lower(username) = lower(?)",
            [username.strip()],
        ).fetchone()
        failures = _failures_since_unlock(cur, row[0]) if row else 0
    if recent >= SOURCE_FAILURES_PER_MINUTE:
        raise SignInBusy(SOURCE_BUSY)
    if not _hashing.acquire(timeout=HASH_WAIT_SECONDS):
        raise SignInBusy(BUSY)
    try:
        locked = failures >= LOCK_AFTER_FAILURES
        verified = _matches(row[4] if row and not locked else _DUMMY_HASH, password) and row is not None
    finally:
        _hashing.release()
    user = User(row[0], row[1], row[2], row[3]) if (verified and row[5] and not locked) else None
    with db.transaction(con) as cur:
        if user:
            db.audit(cur, user.id, "sign_in", "user", user.id)
            return user
        reason = "locked" if locked else "inactive" if row and verified else "credentials"
        db.audit(cur, row[0] if row else None, "sign_in_failed", "user", row[0] if row else None,
                 {"reason": reason, **({"source": source} if source is not None else {})})
        if row and not locked and failures + 1 == LOCK_AFTER_FAILURES:
            db.audit(cur, None, "account_locked", "user", row[0], {"minutes": int(LOCK_FOR.total_seconds() // 60)})
    return None


COUNTED_FAILURES = """
    SELECT u.id AS user_id, a.id, a.occurred_at FROM users u JOIN audit_log a
        ON a.action = 'sign_in_failed' AND a.entity = 'user' AND a.entity_id = u.id
    WHERE json_extract_string(a.detail, '$.reason') <> 'locked'
      AND a.occurred_at > current_localtimestamp() - to_minutes($minutes)
      AND a.id > coalesce((SELECT max(c.id) FROM audit_log c WHERE c.action IN ('sign_in', 'account_unlocked')
                                                               AND c.entity = 'user' AND c.entity_id = u.id), 0)
"""
"""The failed sign-ins that count towards each account's lock: within the lock period, after its last successful
sign-in or unlock (by audit row id, which orders them even within one clock tick), attempts refused while locked
left out so they do not extend the lock."""
ACCOUNT_FAILURES_SQL = "SELECT count(*) FROM (" + COUNTED_FAILURES + ") WHERE user_id = $user"


def _failures_since_unlock(cur, user_id: int) -> int:
    """Failed sign-ins of the account that count towards its lock (`COUNTED_FAILURES`)."""
    (count,) = cur.execute(ACCOUNT_FAILURES_SQL,
                           {"minutes": _lock_minutes(), "user": user_id}).fetchone()
    return count


def _lock_minutes() -> int:
    return int(LOCK_FOR.total_seconds() // 60)


def locked_accounts(con, actor: User) -> pd.DataFrame:
    """The accounts locked now, for the administrator: id, username, display_name, failures and locked_until (the
    moment the oldest counted failure leaves the lock period, when the account opens by itself)."""
    require(con, actor, ADMINS)
    with db.read(con) as cur:
        return cur.execute(
            f"""WITH counted AS ({COUNTED_FAILURES}),
                    ranked AS (SELECT user_id, occurred_at, count(*) OVER (PARTITION BY user_id) AS failures,
                                      row_number() OVER (PARTITION BY user_id ORDER BY id DESC) AS newest
                               FROM counted)
                SELECT u.id, u.username, u.display_name, r.failures,
                       r.occurred_at + to_minutes($minutes) AS locked_until
                FROM ranked r JOIN users u ON u.id = r.user_id
                WHERE r.newest = $lock_after ORDER BY u.username""",
            {"minutes": _lock_minutes(), "lock_after": LOCK_AFTER_FAILURES}).df()


def unlock(con, actor: User, user_id: int) -> None:
    """End an account's sign-in lock now, rather than in up to 15 minutes: the administrator has checked with the
    person that the failures were theirs. Audited with the failures it cleared; the account's failures count afresh."""
    actor = require(con, actor, ADMINS)
    user_id = validate.record_id(user_id, NOT_FOUND)
    with db.transaction(con) as cur:
        account = cur.execute("SELECT username, display_name FROM users WHERE id = ?", [user_id]).fetchone()
        if account is None:
            raise ValueError(NOT_FOUND)
        failures = _failures_since_unlock(cur, user_id)
        if failures < LOCK_AFTER_FAILURES:
            raise ValueError(f"{account[1]} ({account[0]}) is not locked (any more): nothing to unlock")
        db.audit(cur, actor.id, "account_unlocked", "user", user_id, {"failures": failures})


def verify_password(con, user: User, password: str) -> bool:
    """Re-check a signed-in user's password, as an electronic signature; a failure is audited."""
    password = _typed(password, "Password")
    with db.read(con) as cur:
        row = cur.execute("SELECT password_hash FROM users WHERE id = ? AND active", [user.id]).fetchone()
    verified = _matches(row[0] if row else _DUMMY_HASH, password) and row is not None
    if not verified:
        with db.transaction(con) as cur:
            db.audit(cur, user.id, "signature_failed", "user", user.id)
    return verified


def countersigner(con, username: str, password: str) -> User | None:
    """A second person's signature on this screen (a prescriber co-signing a nurse's record): the active user
    with that username and password, else None. Not a sign-in: nothing in this browser session changes."""
    username, password = _typed(username, "Prescriber's username"), _typed(password, "Prescriber's password")
    with db.read(con) as cur:
        row = cur.execute(
            "SELECT id, username, display_name, role, password_hash, active FROM users "
            "WHERE lower(username) = lower(?)",
            [username.strip()],
        ).fetchone()
    verified = _matches(row[4] if row else _DUMMY_HASH, password) and row is not None and row[5]
    if not verified:
        with db.transaction(con) as cur:
            db.audit(cur, row[0] if row else None, "signature_failed", "user", row[0] if row else None,
                     {"reason": "countersignature"})
        return None
    return User(row[0], row[1], row[2], row[3])


def _matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sign_out(con, user: User, reason: str = "user") -> None:
    with db.transaction(con) as cur:
        db.audit(cur, user.id, "sign_out", "user", user.id, {"reason": reason})


def accounts(con, actor: User) -> pd.DataFrame:
    """Every account for the administrator: id, username, name, role, active, created, last sign-in."""
    require(con, actor, ADMINS)
    with db.read(con) as cur:
        return cur.execute(
            """SELECT u.id, u.username, u.display_name, u.role, u.active, u.created_at,
                      (SELECT max(occurred_at) FROM audit_log a WHERE a.action = 'sign_in' AND a.entity = 'user'
                         AND a.entity_id = u.id) AS last_sign_in
               FROM users u ORDER BY u.active DESC, u.username""").df()


def reset_password(con, actor: User, user_id: int, password: str) -> None:
    """A new password set by the administrator (to pass on in person). A sign-in lock still runs its 15 minutes."""
    actor = require(con, actor, ADMINS)
    user_id = validate.record_id(user_id, NOT_FOUND)
    password_hash = hash_password(check_new_password(password))
    with db.transaction(con) as cur:
        if not cur.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchall():
            raise ValueError(NOT_FOUND)
        cur.execute("UPDATE users SET password_hash = ? WHERE id = ?", [password_hash, user_id])
        db.audit(cur, actor.id, "password_reset", "user", user_id)


def _not_yourself(actor: User, user_id: int, what: str) -> None:
    if actor.id == user_id:
        raise ValueError(f"You cannot {what} your own account; ask another administrator")


def _unchanged_since_seen(cur, user_id: int, seen: tuple[str, bool] | None) -> str:
    """The account's role now, refusing when it no longer is what the administrator saw when they chose the
    change: two administrators on one account must not silently undo each other."""
    if seen is not None and not (isinstance(seen, tuple) and len(seen) == 2):
        raise ValueError("The account as shown is not known any more; open it again")
    row = cur.execute("SELECT role, active FROM users WHERE id = ?", [user_id]).fetchone()
    if row is None:
        raise ValueError(NOT_FOUND)
    if seen is not None and tuple(row) != tuple(seen):
        role, active = row
        raise ValueError(f"This account was changed by someone else since you opened it: it is now "
                         f"{ROLE_LABELS[role]}, {'active' if active else 'inactive'}. Nothing was changed; "
                         f"check it and choose again.")
    return row[0]


def set_active(con, actor: User, user_id: int, active: bool, *, seen: tuple[str, bool] | None = None) -> None:
    """`seen` is the (role, active) the administrator was shown; None only where nobody was shown anything."""
    actor = require(con, actor, ADMINS)
    user_id = validate.record_id(user_id, NOT_FOUND)
    active = validate.yes_no(active, "Active")
    if not active:
        _not_yourself(actor, user_id, "deactivate")
    with db.transaction(con) as cur:
        _unchanged_since_seen(cur, user_id, seen)
        cur.execute("UPDATE users SET active = ? WHERE id = ?", [active, user_id])
        db.audit(cur, actor.id, "user_activated" if active else "user_deactivated", "user", user_id)


def set_role(con, actor: User, user_id: int, role: str, *, seen: tuple[str, bool] | None = None) -> None:
    """A new role takes effect on the account's next click: every core call reads the role afresh."""
    actor = require(con, actor, ADMINS)
    user_id = validate.record_id(user_id, NOT_FOUND)
    if not isinstance(role, str) or role not in ROLES:
        raise ValueError(ROLE_CHOICE)
    if role != "admin":
        _not_yourself(actor, user_id, "change the role of")
    with db.transaction(con) as cur:
        was = _unchanged_since_seen(cur, user_id, seen)
        cur.execute("UPDATE users SET role = ? WHERE id = ?", [role, user_id])
        db.audit(cur, actor.id, "user_role_changed", "user", user_id, {"role": role, "was": was})


def _ask_password() -> str:
    while True:
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            print("The two passwords differ; try again.", file=sys.stderr)
            continue
        try:
            return check_new_password(first)
        except ValueError as e:
            print(e, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.users", description="Manage staff accounts.")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create an account (asks for the password twice)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", default="", help="display name (defaults to the username)")
    add.add_argument("--by", default=None, help="an administrator's username (asks for that password); "
                                                "not needed for the first administrator of a new database")
    add.add_argument("--db", default=None, help="database file (defaults to $CLINIC_DB or data/clinic.duckdb)")
    args = parser.parse_args(argv)
    try:
        con = db.open_store(args.db or db.configured_path())
        if args.by:
            actor = authenticate(con, args.by, getpass.getpass(f"Password of {args.by}: "))
            if actor is None:
                raise ValueError(SIGN_IN_FAILED)
            user = create_user(con, actor, args.username, args.name or args.username, args.role, _ask_password())
        elif args.role != "admin":
            raise ValueError("The first account of a database is its administrator; add others with --by ADMIN")
        else:
            user = create_first_admin(con, args.username, args.name or args.username, _ask_password())
    except (db.StoreError, ValueError, AccessDenied) as e:
        print(e, file=sys.stderr)
        return 1
    print(f"Created {user.role} account {user.username}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
