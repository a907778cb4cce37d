"""The demo's accounts as the benches sign in with them: a light module, so a fresh process timed by a bench imports
only what the app would."""

from __future__ import annotations

from pathlib import Path

from core import db
from core.access import User


def demo_user(path: Path, username: str) -> User:
    con = db.open_store(path)
    try:
        return User(*con.execute("SELECT id, username, display_name, role FROM users WHERE username = ?",
                                 [username]).fetchone())
    finally:
        con.close()
