"""Patients a browser test needs to exist before it starts, saved through `core` into its module's own database
before that module's app starts.

A patient who is only a precondition (the namesake a warning is about, the chart a re-screen opens) used to be typed
into the Screening page like the patient under test: some forty runs of that page each, a fifth of the suite's
browser time. The screening they get is the one `core.patients.save_screening` stores for any valid form, by the demo
nurse; what the tests then do with them, in the browser, is unchanged.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from core import db, patients
from core.screening_form import validate_screening
from tests.conftest import copy_store
from tests.core.test_screening_and_approval import NURSE, valid_raw


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    mrn: str
    born: date


def unique(prefix: str) -> str:
    """A name no other test (or earlier run) uses: letters only, as a person's name would be."""
    return prefix + "".join(secrets.choice(string.ascii_lowercase) for _ in range(6))


def person(first_prefix: str, last_prefix: str, born: date, mrn_prefix: str = "HAND-") -> Person:
    return Person(unique(first_prefix), unique(last_prefix), unique(mrn_prefix).upper(), born)


def namesake(of: Person, born: date, mrn_prefix: str = "HAND-") -> Person:
    """Someone with the same name as `of`, born on another day, with a chart of their own."""
    return Person(of.first, of.last, unique(mrn_prefix).upper(), born)


def seeded_app(tmp_path_factory, app_server, template, people: list[Person]) -> str:
    """Start an app on a copy of `template` holding a male, eligible, not yet approved screening of each of `people`
    (as the browser helper `fill_screening` would type it), saved a week after his last use."""
    path = copy_store(template, tmp_path_factory.mktemp("seeded") / "clinic.duckdb")
    now = datetime.now()
    last_use = now - timedelta(days=7)
    con = db.open_store(path)
    try:
        for who in people:
            raw = valid_raw(first_name=who.first, last_name=who.last, date_of_birth=who.born, mrn=who.mrn, sex="male",
                            last_use_date=last_use.date(), last_use_time=time(8, 0))
            patients.save_screening(con, NURSE, validate_screening(raw, now=now), now=now)
    finally:
        con.close()
    return app_server(CLINIC_DB=str(path))


def app_url_with(*people: Person):
    """A module's `app_url` fixture whose database already holds `people`: `app_url = app_url_with(A, B)`."""

    @pytest.fixture(scope="module")
    def app_url(tmp_path_factory, app_server, demo_database):
        return seeded_app(tmp_path_factory, app_server, demo_database, list(people))

    return app_url
