import shutil
from datetime import date

import pytest
import streamlit as st
from argon2 import PasswordHasher

from core import db, demo, users
from core.audit_chain import HEAD_SUFFIX, KEY_FILE
from core.rules import settings as settings_module

DEMO_TODAY = date(2026, 11, 21)


FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
"""Argon2id at 1 MiB instead of 64 MiB for the in-process tests: hundreds of accounts are made and signed in, and the
cost of each hash is not what they test. The browser tests' app servers keep the real parameters."""


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    real = users._hasher
    users._hasher = FAST_HASHER
    yield
    users._hasher = real


def copy_store(source, target):
    """Copy a closed database with what it needs beside it: its write-ahead log if any, the audit key and its head
    (renamed after the copy's file, as the app names it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, target)
    if (source.parent / (source.name + ".wal")).exists():
        shutil.copy(source.parent / (source.name + ".wal"), target.parent / (target.name + ".wal"))
    shutil.copy(source.parent / KEY_FILE, target.parent / KEY_FILE)
    shutil.copy(source.parent / (source.name + HEAD_SUFFIX), target.parent / (target.name + HEAD_SUFFIX))
    return target


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """A 300-patient demo database built once; tests copy it rather than rebuild it."""
    path = tmp_path_factory.mktemp("template") / "demo.duckdb"
    con = db.open_store(path)
    demo.build(con, 300, 2026, today=DEMO_TODAY)
    con.close()
    return path


@pytest.fixture
def demo_db(demo_template, tmp_path):
    return copy_store(demo_template, tmp_path / "clinic.duckdb")


@pytest.fixture
def empty_store(tmp_path):
    con = db.open_store(tmp_path / "empty.duckdb")
    yield con
    con.close()


@pytest.fixture
def demo_store(demo_db):
    con = db.open_store(demo_db)
    yield con
    con.close()


@pytest.fixture(autouse=True)
def fresh_process_state(monkeypatch):
    """Streamlit's resource cache and the current settings are process-wide: reset them around each test."""
    st.cache_resource.clear()
    monkeypatch.setattr(settings_module, "_current", settings_module.DEFAULTS)
    monkeypatch.setenv("CLINIC_BACKUPS", "0")  # a page test's store is a scratch copy; tests/core/test_backup.py
    yield
    st.cache_resource.clear()
