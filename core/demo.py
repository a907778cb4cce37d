"""A deterministic, synthetic demo cohort: no real person's data, ever.

Every screening decision is made by `core.rules.eligibility.evaluate` on the generated intake,
and every dose by `core.rules.dosing.check_dose`, so the demo can never show something the
rules would not allow. The same seed and anchor date give the same rows. Patients are built a
chunk at a time: a chunk's rows are collected in memory, bulk-inserted through Arrow tables and
dropped, so 10,000 patients load in seconds rather than minutes of row-by-row INSERTs, and
100,000 in a bounded amount of memory.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import random
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pyarrow as pa

from core import checkins, db, seals, users
from core.progress import Progress, Step
from core.rules import dosing, eligibility, instruments
from core.rules.settings import DEFAULTS
from core.screenings import answers_json, reasons_json

DEMO_ACCOUNTS = (
    ("admin", "Demo Administrator", "admin", "demo-admin-2026"),
    ("prescriber", "Dr Demo Prescriber", "prescriber", "demo-prescriber-2026"),
    ("nurse", "Demo Nurse", "nurse", "demo-nurse-2026"),
    ("therapist", "Demo Therapist", "therapist", "demo-therapist-2026"),
    ("viewer", "Demo Stakeholder", "viewer", "demo-viewer-2026"),
)
"""Shown on the sign-in screen of a demo database only; a real database never has them."""

SUBSTANCE_WEIGHTS = {"alcohol": 45, "opioids": 25, "cocaine": 18, "methamphetamine": 12}
ROUTE_WEIGHTS = {"iv": 60, "im": 10, "intranasal": 15, "oral": 15}
VITALS_MINUTES = ((-10, "pre"), (15, "during"), (30, "during"), (40, "during"), (60, "during"), (90, "during"),
                  (120, "discharge"))
VITALS_PLAN = tuple((minutes, phase, math.exp(-(((minutes - 40) / 30) ** 2)) if minutes >= 0 else 0.0,
                     timedelta(minutes=minutes)) for minutes, phase in VITALS_MINUTES)
"""Each reading's minute, phase, share of the blood-pressure rise (peaking at minute 40) and offset from the dose,
worked out once rather than for each of the cohort's millions of readings."""
PRIOR_TREATMENTS = ("medication for opioid use disorder", "residential", "outpatient therapy", "mutual help",
                    "detoxification")
FIRST_NAMES = ("Alex", "Sam", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Robin", "Avery", "Quinn",
               "Drew", "Kim", "Lee", "Noor", "Ari", "Eli", "Mika", "Rowan", "Sasha", "Toni", "Remy", "Jules", "Kai")
LAST_NAMES = ("Demo", "Sample", "Testperson", "Example", "Synthetic", "Placeholder", "Fictional", "Madeup",
              "Imaginary", "Mockwell", "Fakerson", "Dummyford")
INSERT_ORDER = ("patients", "screenings", "approvals", "gate_checks", "dosing_sessions", "session_details",
                "session_vitals", "adverse_events", "assessments", "checkins", "checkin_assessments",
                "integration_notes", "therapy_bookings", "substance_use_days", "safety_followups",
                "safety_assessments")
"""Parents before children, for the foreign keys; also the allow-list of tables the demo writes."""
SEQUENCES = frozenset({"gate_checks_id_seq",
                       "patients_id_seq", "screenings_id_seq", "approvals_id_seq", "sessions_id_seq", "vitals_id_seq",
                       "adverse_events_id_seq", "assessments_id_seq", "safety_followups_id_seq",
                       "safety_assessments_id_seq", "checkins_id_seq", "integration_notes_id_seq",
                       "therapy_bookings_id_seq"})
SCREENING_DAYS = 365
"""Patients were screened on one of the last 365 days, today included."""
DAYS_BEFORE_SCREENING = 30
OPEN_SAFETY_DAYS = 2
"""Urgent demo screenings from the last two days still wait for their assessment, so the worklist has rows."""
FOLLOW_UP_DAYS = 180
NOTE_SHARE = 0.9
"""Integration sessions that met and were written up; the rest were missed, so their dosing session has no note."""
THEMES = ("Synthetic demo: connection with family", "Synthetic demo: grief and loss",
          "Synthetic demo: self-compassion", "Synthetic demo: fear of relapse", "Synthetic demo: meaning and purpose")
REFLECTIONS = ("Synthetic demo: felt calmer and more hopeful", "Synthetic demo: saw old habits from a distance",
               "Synthetic demo: found the session hard but useful", "Synthetic demo: remembered why change matters")
PLANS = ("Synthetic demo: journal each evening until the next session", "Synthetic demo: call a support person",
         "Synthetic demo: practise the breathing exercise daily", "Synthetic demo: go to one mutual-help meeting")
OTHER_USE_CHANCE = (0.03, 0.25)
"""Chance of a day with another substance: without, then with, other substances named at screening."""
LOG_TIMES = tuple(time(hour) for hour in range(8, 18))
"""A patient logs the day before at their own hour of the day."""
PLANNED = frozenset({"scheduled_for"})
"""An appointment may lie ahead of now: it moves with its session but does not set how far the cohort moves."""
_sorted_json = json.JSONEncoder(sort_keys=True).encode
"""`json.dumps(..., sort_keys=True)` without a new encoder for each of the cohort's million answers."""
EPOCH = datetime(1970, 1, 1)
MICROSECOND = timedelta(microseconds=1)
EXTENDED_TYPES = {"recorded_at": pa.timestamp("us")}
"""Columns given to `Rows.extend` as numbers, here microseconds since 1970 (the use days' record times, a million per
10,000 patients): Arrow reads numbers four times as fast as datetime objects, and stores the same time."""


CHUNK = 2_000
"""Patients generated and inserted per transaction: large enough for fast bulk inserts, small enough that a chunk's
rows, and what DuckDB holds for one transaction, stay at a few hundred MB however large the cohort."""
HELD_BACK = ("safety_followups", "safety_assessments")
"""Few rows, kept in memory until the last chunk and inserted with their times already moved: DuckDB cannot move a
follow-up's time in place (a CHECK over its indexed columns turns the update into a delete and insert, which the
assessment referencing it forbids)."""
OWN_KEYS = {"patients": ("id", "patients_id_seq"), "screenings": ("id", "screenings_id_seq"),
            "approvals": ("id", "approvals_id_seq"), "gate_checks": ("id", "gate_checks_id_seq"),
            "dosing_sessions": ("id", "sessions_id_seq"), "session_details": ("session_id", "sessions_id_seq"),
            "session_vitals": ("id", "vitals_id_seq"), "adverse_events": ("id", "adverse_events_id_seq"),
            "assessments": ("id", "assessments_id_seq"), "checkins": ("id", "checkins_id_seq"),
            "integration_notes": ("id", "integration_notes_id_seq"),
            "therapy_bookings": ("id", "therapy_bookings_id_seq")}
"""The tables whose times `_nothing_after` moves in the database, each with the key column that tells this build's
rows from those already there: keyed from the first value the build took from that sequence on, as nothing else
writes while it runs (the app seeds a new database before it serves it; the command line holds the file)."""
BUILD_SETTINGS = {"threads": 1, "memory_limit": "600MB"}
"""DuckDB settings while the cohort is built. One thread: the bulk inserts gain little from a second core, which the
first costs in coordination (a 10,000-patient build: 12.2 s CPU against 13.1 s, and no slower). A memory limit: the
buffer pool otherwise keeps every block written, so a 100,000-patient build peaked at 1.2 GB; at 600 MB it peaked at
850 MB. Not lower: the tables' indexes stay in memory, and at 256 MB the same build failed for want of it."""
MOVED_WITH_SESSION = (("dosing_sessions", "started_at", "id", "session_id"),
                      ("session_vitals", "taken_at", "session_id", "session_id"),
                      ("adverse_events", "recorded_at", "session_id", "session_id"),
                      ("gate_checks", "checked_at", "id", "gate_check_id"))
"""(table, time column, key column, the moves' column it matches) for a session still in progress."""


class _Random(random.Random):
    """The standard generator with `randint` and `choice` short of their argument checks: CPython's own come down to
    the same `_randbelow` draw, so the stream is the same, and the build, which makes millions of them, is faster.
    `randint`, the most frequent, has CPython 3.11's `_randbelow` written out (the same draws) to save a call."""

    def randint(self, a: int, b: int) -> int:
        n = b - a + 1
        k = n.bit_length()
        r = self.getrandbits(k)
        while r >= n:
            r = self.getrandbits(k)
        return a + r

    def choice(self, seq):
        return seq[self._randbelow(len(seq))]


@dataclass
class Rows:
    """Rows per table, collected in memory and inserted in bulk: a dict per row, or, for a table filled by `extend`,
    a list per column (the use days: most of the rows, so this saves time and memory). Either makes an Arrow table."""

    tables: dict[str, list[dict] | dict[str, list]] = field(default_factory=dict)

    def add(self, table: str, **row) -> dict:
        self.tables.setdefault(table, []).append(row)
        return row

    def extend(self, table: str, **columns: list) -> None:
        """Rows given column by column, all of one length; every row of the table comes this way."""
        table_columns = self.tables.setdefault(table, {name: [] for name in columns})
        for name, values in columns.items():
            table_columns[name].extend(values)


@dataclass
class Ids:
    """Surrogate keys taken from each table's sequence up front, so child rows can reference them. One `Ids` serves
    the whole build, through the cursor of the transaction at hand, so keys run on from chunk to chunk and `first`
    tells this build's rows from those already there."""

    cur: object
    pools: dict[str, list[int]] = field(default_factory=dict)
    first: dict[str, int] = field(default_factory=dict)

    def take(self, sequence: str) -> int:
        pool = self.pools.get(sequence)
        if not pool:
            if sequence not in SEQUENCES:
                raise ValueError(f"Not a demo sequence: {sequence}")
            statement = "SELECT nextval('" + sequence + "') FROM range(4096)"  # name from the allow-list above
            pool = [r[0] for r in self.cur.execute(statement).fetchall()]
            pool.reverse()
            self.pools[sequence] = pool
            self.first.setdefault(sequence, pool[-1])
        return pool.pop()


def build(con, patients: int, seed: int, today: date | None = None, chunk: int = CHUNK,
          progress: Progress | None = None) -> dict[str, int]:
    """Add demo staff (if the database has none) and `patients` synthetic patients; returns row counts.

    Patients come from one random stream and are inserted `chunk` at a time, a transaction each, so memory stays
    bounded and the rows do not depend on `chunk`. Only the last transaction marks the database as a demo and
    writes the demo_seeded audit row: a build that stops part way keeps the chunks it committed but neither mark,
    so it never passes for a finished demo. A build of one chunk, such as the app's, is one transaction.

    `progress` (core/progress.py) hears the steps as they go: "Creating the demo accounts" (of 5, each a password
    hash), "Adding synthetic patients" (generated, of `patients`) and "Saving the synthetic patients" (committed, of
    `patients`; the two alternate when there are several chunks). It only listens: the rows are the same without it."""
    if chunk < 1:
        raise ValueError("A chunk holds at least one patient.")
    live = today is None
    today = _now().date() if live else today
    rng = _Random(seed)
    ids, held, counts, staff = Ids(None), Rows(), dict.fromkeys(INSERT_ORDER, 0), None
    starts = range(0, max(patients, 1), chunk)
    added = saved = None
    with _build_settings(con):
        for start in starts:
            with db.transaction(con) as cur:
                ids.cur = cur
                staff = staff or _demo_staff(cur, progress)
                added = added or Step(progress, "Adding synthetic patients", patients)
                size = min(chunk, patients - start)
                rows = _generate(rng, ids, staff, today, size, added)
                saved = saved or Step(progress, "Saving the synthetic patients", patients)
                _insert_chunk(cur, rows, held, counts)
                if start == starts[-1]:
                    if live:
                        _nothing_after(cur, ids, held, _now(), rng)
                    for table in HELD_BACK:
                        counts[table] += _insert(cur, table, held.tables.pop(table, None))
                    for sealed in seals.SEALED:  # signed records the cohort holds, sealed a table at a time
                        if sealed.table in OWN_KEYS and OWN_KEYS[sealed.table][1] in ids.first:
                            db.seal_range(cur, sealed.table, ids.first[OWN_KEYS[sealed.table][1]])
                    cur.execute("INSERT OR REPLACE INTO database_info VALUES ('demo', 'true')")
                    db.audit(cur, None, "demo_seeded", "database", None, {"patients": patients, "seed": seed})
            saved.advance(max(size, 0))
    return {table: n for table, n in counts.items() if n}


@contextmanager
def _build_settings(con):
    """BUILD_SETTINGS for the build, then DuckDB's defaults again, as the connection may go on to serve the app. Put
    back with RESET: connections are made with db.DUCKDB_CONFIG, which sets neither (and a value read back and set
    again drifts: "18.8 GiB" comes back as 18.7)."""
    for name, value in BUILD_SETTINGS.items():
        con.execute("SET " + name + " = ?", [value])  # names from the constant above
    try:
        yield
    finally:
        for name in BUILD_SETTINGS:
            con.execute("RESET " + name)


def _now() -> datetime:
    """The clock a live build keeps its cohort behind; one place, so a test can build at a fixed early hour."""
    return datetime.now()


def _generate(rng: random.Random, ids: Ids, staff, today: date, size: int, added: Step) -> Rows:
    """Generate `size` patients' rows in memory, telling `added` of each."""
    rows = Rows()
    for _ in range(size):
        _patient(rng, rows, ids, staff, today)
        added.advance()
    return rows


def _insert_chunk(cur, rows: Rows, held: Rows, counts) -> None:
    """Insert a chunk's rows parents first, keeping the held-back tables' rows in `held`."""
    for table in INSERT_ORDER:
        if table in HELD_BACK:
            held.tables.setdefault(table, []).extend(rows.tables.pop(table, []))
        else:
            counts[table] += _insert(cur, table, rows.tables.pop(table, None))


def _demo_staff(cur, progress: Progress | None = None) -> dict[str, int]:
    existing = dict(cur.execute("SELECT role, min(id) FROM users GROUP BY role").fetchall())
    if existing:
        return existing
    staff = {}
    made = Step(progress, "Creating the demo accounts", len(DEMO_ACCOUNTS))
    for username, name, role, password in DEMO_ACCOUNTS:
        (user_id,) = cur.execute(
            "INSERT INTO users (username, display_name, role, password_hash, created_at) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
            [username, name, role, users.hash_password(password), datetime.now()],
        ).fetchone()
        staff[role] = user_id
        made.advance()
    return staff


def _insert(cur, table: str, rows: list[dict] | dict[str, list] | None) -> int:
    """Insert one chunk's rows of `table`; returns how many. Through Arrow rather than pandas: DuckDB reads an Arrow
    table as it is, and inserting takes about a third less time. Every row of a table has the same keys, in the same
    order (one `Rows.add` call writes each table)."""
    if not rows:
        return 0
    if table not in INSERT_ORDER:
        raise ValueError(f"Not a demo table: {table}")
    if isinstance(rows, list):  # column lists first: from_pylist takes twice as long over the same dicts
        rows = {name: [row[name] for row in rows] for name in rows[0]}
    data = pa.Table.from_pydict({name: pa.array(values, EXTENDED_TYPES.get(name)) for name, values in rows.items()})
    names = ", ".join(data.column_names)  # the row keys written in this module, never input
    _execute_with(cur, data, "INSERT INTO " + table + " (" + names + ") SELECT " + names + " FROM demo_rows")
    return data.num_rows


def _execute_with(cur, data: pa.Table, statement: str) -> None:
    """Run `statement` with `data` visible to it as demo_rows. Not through `register`: DuckDB keeps what is registered
    alive until the transaction ends, so a one-chunk build would hold all its tables twice."""
    cur.from_arrow(data).query("demo_rows", statement)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _nothing_after(cur, ids: Ids, held: Rows, now: datetime, rng: random.Random) -> None:
    """A cohort built early in the morning has today's clinic day still ahead: move every time back so nothing
    happened after `now`, and today's sessions in progress to have begun 45-110 minutes ago (their readings, up
    to minute 40, already taken). Use days are calendar days, which do not move: their record times stay after the
    day ended and are only held back to `now`.

    How far to move depends on the latest time in the whole cohort, known only once every chunk is in: the move is
    made in the database on this build's rows, in the last chunk's transaction, and on the held-back rows before
    they are inserted."""
    own = {table: (key, ids.first[sequence]) for table, (key, sequence) in OWN_KEYS.items() if sequence in ids.first}
    times = {table: _time_columns(cur, table) for table in own}
    latest = max([_latest(cur, table, key, first, times[table]) for table, (key, first) in own.items()]
                 + [_latest_held(held)])
    shift = min(timedelta(0), now - latest)
    if shift:
        for table, (key, first) in own.items():
            moves = ", ".join(f"{column} = {column} + ?::INTERVAL" for column in times[table])  # schema names
            cur.execute("UPDATE " + table + " SET " + moves + " WHERE " + key + " >= ?",
                        [shift] * len(times[table]) + [first])
        _move_held(held, shift)
    if "patients_id_seq" in ids.first:
        cur.execute("UPDATE substance_use_days SET recorded_at = ? WHERE patient_id >= ? AND recorded_at > ?",
                    [now, ids.first["patients_id_seq"], now])
    if "sessions_id_seq" in ids.first:
        _start_sessions_in_progress(cur, ids.first["sessions_id_seq"], now, rng)


def _time_columns(cur, table: str) -> list[str]:
    found = cur.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                        "AND schema_name = current_schema() AND table_name = ? AND data_type = 'TIMESTAMP' "
                        "ORDER BY column_index", [table]).fetchall()
    return [name for (name,) in found]


def _latest(cur, table: str, key: str, first: int, columns: list[str]) -> datetime:
    """The latest time, appointments ahead aside, over this build's rows of `table` (datetime.min if none)."""
    selected = ", ".join(f"max({column})" for column in columns if column not in PLANNED)  # names from the schema
    values = cur.execute("SELECT " + selected + " FROM " + table + " WHERE " + key + " >= ?", [first]).fetchone()
    return max((v for v in values if v is not None), default=datetime.min)


def _latest_held(held: Rows) -> datetime:
    return max((value for rows in held.tables.values() for row in rows for key, value in row.items()
                if isinstance(value, datetime) and key not in PLANNED), default=datetime.min)


def _move_held(held: Rows, shift: timedelta) -> None:
    for rows in held.tables.values():
        for row in rows:
            for key, value in row.items():
                if isinstance(value, datetime):
                    row[key] = value + shift


def _start_sessions_in_progress(cur, first_session: int, now: datetime, rng: random.Random) -> None:
    """Move each session in progress, in the order they were generated, to have begun 45-110 minutes before `now`,
    with its gate check, readings and events."""
    running = cur.execute("""SELECT d.id, s.gate_check_id, d.started_at FROM dosing_sessions d
                             JOIN session_details s ON s.session_id = d.id
                             WHERE d.id >= ? AND d.status = 'in_progress' ORDER BY d.id""", [first_session]).fetchall()
    if not running:
        return
    moves = pa.Table.from_pydict({
        "session_id": [session_id for session_id, _, _ in running],
        "gate_check_id": [gate_id for _, gate_id, _ in running],
        "move": [now - timedelta(minutes=rng.randint(45, 110)) - started_at for _, _, started_at in running]})
    for table, column, key, move_key in MOVED_WITH_SESSION:  # names from the constant above
        _execute_with(cur, moves, "UPDATE " + table + " t SET " + column + " = t." + column + " + m.move "
                      "FROM demo_rows m WHERE t." + key + " = m." + move_key)


def _at(day: date, rng: random.Random, first_hour: int = 8, last_hour: int = 16) -> datetime:
    return datetime.combine(day, time(rng.randint(first_hour, last_hour), rng.choice((0, 15, 30, 45))))


def _patient(rng: random.Random, rows: Rows, ids: Ids, staff: dict[str, int], today: date) -> None:
    sex = "male" if rng.random() < 0.6 else "female"
    substance = _pick(rng, SUBSTANCE_WEIGHTS)
    age = rng.randint(16, 17) if rng.random() < 0.01 else min(80, int(rng.triangular(18, 75, 34)))
    screened_on = today - timedelta(days=rng.randint(0, SCREENING_DAYS - 1))
    screened_at = _at(screened_on, rng)
    intake, details = _intake(rng, sex, age, substance, screened_at)
    decision = eligibility.evaluate(intake, settings=DEFAULTS)
    patient_id = ids.take("patients_id_seq")
    screening_id = ids.take("screenings_id_seq")
    status = _approval(rng, rows, ids, staff, patient_id, screening_id, decision.status, screened_on, today)

    rows.add("patients", id=patient_id, mrn=f"DEMO-{patient_id:06d}", first_name=rng.choice(FIRST_NAMES),
             last_name=rng.choice(LAST_NAMES),
             date_of_birth=screened_on - timedelta(days=age * 365 + rng.randint(0, 364)), sex=sex,
             phone=f"555-01{rng.randint(0, 99):02d}", emergency_contact="Synthetic contact, 555-0100",
             primary_substance=substance, status=status, created_at=screened_at, created_by=staff["nurse"])
    rows.add("screenings", id=screening_id, patient_id=patient_id, screened_at=screened_at,
             screened_by=staff["nurse"], answers=answers_json(intake, details), systolic_bp=intake["systolic_bp"],
             diastolic_bp=intake["diastolic_bp"], decision=decision.status, urgent=decision.urgent,
             reasons=reasons_json(decision), rules_version=decision.rules_version)
    for instrument_id, result in decision.scores.items():
        _assessment(rows, ids, staff["nurse"], patient_id, instrument_id, screened_at, result,
                    intake[instrument_id], screening_id=screening_id)
    if decision.urgent:
        _safety_followup(rows, ids, staff, patient_id, screening_id, screened_at, today)
    if substance == "alcohol":
        auditc = details["auditc"]
        _assessment(rows, ids, staff["nurse"], patient_id, "auditc", screened_at,
                    instruments.score("auditc", auditc, sex=sex), auditc, screening_id=screening_id)

    first_day = None
    if status == "approved":
        first_day = _course(rng, rows, ids, staff, patient_id, intake, substance, screened_on, today)
    _use_log(rng, rows, patient_id, sex, substance, screened_at, first_day, details, today)


def _safety_followup(rows: Rows, ids: Ids, staff, patient_id, screening_id, screened_at, today) -> None:
    """Deterministic (no random draws), so adding follow-ups leaves the rest of the cohort unchanged."""
    followup_id = ids.take("safety_followups_id_seq")
    rows.add("safety_followups", id=followup_id, patient_id=patient_id, screening_id=screening_id,
             raised_at=screened_at)
    if (today - screened_at.date()).days > OPEN_SAFETY_DAYS:
        rows.add("safety_assessments", id=ids.take("safety_assessments_id_seq"), followup_id=followup_id,
                 assessed_at=screened_at + timedelta(hours=1), assessed_by=staff["prescriber"],
                 outcome="safety_plan", note="Synthetic demo: assessed the same day, safety plan made")


def _intake(rng: random.Random, sex: str, age: int, substance: str, screened_at: datetime) -> tuple[dict, dict]:
    systolic = max(95, min(185, round(rng.gauss(121, 10))))
    diastolic = max(55, min(systolic - 25, round(rng.gauss(76, 6))))
    conditions = {c for c, p in (("psychosis", 0.02), ("aneurysm_avm", 0.003), ("intracerebral_hemorrhage", 0.003),
                                 ("ketamine_hypersensitivity", 0.005), ("ketamine_misuse", 0.015),
                                 ("bipolar", 0.04), ("cardiovascular", 0.03),
                                 ("hepatic", 0.05 if substance == "alcohol" else 0.02)) if rng.random() < p}
    medications = {m for m, p in (("benzodiazepine", 0.03), ("sedative_hypnotic", 0.01), ("stimulant", 0.02),
                                  ("maoi", 0.003)) if rng.random() < p}
    if substance == "opioids" and rng.random() < 0.25:
        medications.add("opioid")  # methadone or buprenorphine
    if "bipolar" in conditions and rng.random() < 0.6:
        medications.add("mood_stabilizer")
    pregnant = "no"
    if sex == "female":
        pregnant = rng.choices(("no", "yes", "possible"), weights=(98, 1, 1))[0]
    severity = max(0.0, min(3.0, rng.gauss(1.3, 0.55)))
    phq9 = [_item(rng, severity, 3) for _ in range(8)] + [1 if rng.random() < 0.04 else 0]
    gad7 = [_item(rng, severity * 0.9, 3) for _ in range(7)]
    ptsd = rng.random() < 0.3
    pcl5 = [_item(rng, 2.3 if ptsd else 0.7, 4) for _ in range(20)]
    intake = {
        "age": age, "sex": sex, "pregnant": pregnant, "systolic_bp": systolic, "diastolic_bp": diastolic,
        "conditions": conditions, "medications": medications,
        "prior_treatments": rng.sample(PRIOR_TREATMENTS, k=rng.choices((0, 1, 2), weights=(3, 5, 2))[0]),
        "integration_therapy_willing": rng.random() < 0.92,
        "phq9": phq9, "gad7": gad7, "pcl5": pcl5, "cssrs": _cssrs(rng, phq9[8] > 0),
        "conditions_other": "", "medications_other": "",
    }
    details = {
        "primary_substance": substance,
        "other_substances": ["alcohol"] if substance != "alcohol" and rng.random() < 0.3 else [],
        "other_substances_text": "",
        "last_use": (screened_at - timedelta(hours=rng.randint(20, 120))).isoformat(),
        "days_used_30": rng.randint(8, 30),
        "years_of_use": rng.randint(1, max(1, age - 15)),
        "escort_available": rng.random() < 0.95,
        "goal": "Synthetic demo goal",
        "auditc": [rng.randint(2, 4), rng.randint(1, 4), rng.randint(1, 4)] if substance == "alcohol" else None,
    }
    return intake, details


def _item(rng: random.Random, mean: float, high: int) -> int:
    return max(0, min(high, round(rng.gauss(mean, 0.8))))


def _cssrs(rng: random.Random, item9_positive: bool) -> dict:
    risk = rng.choices(("none", "low", "moderate", "high"),
                       weights=(30, 50, 15, 5) if item9_positive else (85, 11, 3, 1))[0]
    answers = {"q1": risk != "none", "q2": risk in ("moderate", "high") and rng.random() < 0.8,
               "behavior_lifetime": False}
    if answers["q2"]:
        answers.update(q3=risk == "moderate", q4=risk == "high", q5=False)
    elif risk == "moderate":
        answers["behavior_lifetime"], answers["behavior_3mo"] = True, False
    elif risk == "high":
        answers["behavior_lifetime"], answers["behavior_3mo"] = True, True
    return answers


def _approval(rng, rows: Rows, ids: Ids, staff, patient_id, screening_id, decision, screened_on, today) -> str:
    if decision == "ineligible":
        return "ineligible"
    if (today - screened_on).days < 10:
        return "screened"
    approve_chance = 0.96 if decision == "eligible" else 0.75
    outcome = "approved" if rng.random() < approve_chance else "declined"
    signed_on = min(today, screened_on + timedelta(days=rng.randint(1, 5)))
    rows.add("approvals", id=ids.take("approvals_id_seq"), screening_id=screening_id, patient_id=patient_id,
             prescriber_id=staff["prescriber"], decision=outcome,
             note="Synthetic demo approval" if outcome == "approved" else "Synthetic demo: not suitable now",
             signed_at=_at(signed_on, rng))
    return outcome


def _planned_sessions(rng: random.Random) -> int:
    """About 20 % leave after the first session and about half do not finish six (ORKA-2)."""
    roll = rng.random()
    if roll < 0.2:
        return 1
    if roll < 0.5:
        return rng.randint(2, 5)
    return 6


def _course(rng, rows: Rows, ids: Ids, staff, patient_id, intake, substance, screened_on, today) -> date | None:
    day = screened_on + timedelta(days=rng.randint(7, 18))
    if day > today:
        return None
    first_day = day
    route = _pick(rng, ROUTE_WEIGHTS)
    weight = max(45.0, min(150.0, rng.gauss(82 if intake["sex"] == "male" else 68, 14)))
    craving0 = rng.uniform(45, 85)
    craving_drop = rng.uniform(0.2, 0.6) if rng.random() < 0.75 else rng.uniform(-0.05, 0.1)
    mood_left = rng.choice(  # the share of the intake PHQ-9 and GAD-7 left after six sessions
        (rng.uniform(0.25, 0.5), rng.uniform(0.65, 0.85), rng.uniform(0.95, 1.05)))
    planned = _planned_sessions(rng)
    appointment = time(rng.randint(8, 12), rng.choice((0, 30)))  # the same slot each visit keeps gaps >= 48 h
    for number in range(1, planned + 1):
        if day > today:
            break
        weight = round(weight + rng.uniform(-1.2, 1.2), 1)
        before = max(0, min(100, round(craving0 * (1 - craving_drop * (number - 1) / 5) + rng.gauss(0, 6))))
        after = max(0, before - rng.randint(5, 25))
        in_progress = day == today
        session = _session(rng, rows, ids, staff, patient_id, intake, route, number, weight, day, appointment,
                           before, after, in_progress)
        gap = rng.randint(2, 5)
        if not in_progress:
            if number % 2 == 0:
                totals = _visit_totals(rng, intake, substance, 1 + (mood_left - 1) * number / 6, before, after)
                _checkin(rng, rows, ids, staff, patient_id, _at(day, rng, 15, 17), totals,
                         checkins.every_visit(substance), pcl5=number % 4 == 0)
            if intake["integration_therapy_willing"]:
                _integration(rng, rows, ids, staff, session, min(3, gap - 1) if number < planned else 3, today)
        day += timedelta(days=gap)
    return first_day


def _visit_totals(rng: random.Random, intake, substance, mood: float, before: int, after: int) -> dict[str, int]:
    """Scale totals at a check-in after a dose: PHQ-9 and GAD-7 at `mood` times their intake sums, craving right now
    near the discharge rating, and the PACS, which asks about drinking (so only when alcohol is the primary
    substance), following the pre-dose craving."""
    totals = {"phq9": round(sum(intake["phq9"]) * mood), "gad7": round(sum(intake["gad7"]) * mood),
              "craving_vas": after + rng.randint(-5, 5), "pcl5": round(sum(intake["pcl5"]) * mood)}
    if substance == "alcohol":
        totals["pacs"] = round(before * 0.3 + rng.gauss(0, 2))
    return totals


def _dose(rng: random.Random, route: str, weight: float, number: int) -> float:
    if route == "intranasal":
        return 56.0 if number == 1 else rng.choice((56.0, 84.0))
    mg_per_kg = {"iv": rng.choice((0.5, 0.5, 0.5, 0.6, 0.71)), "im": rng.uniform(0.4, 1.0),
                 "oral": rng.uniform(2.0, 2.5)}[route]
    return round(mg_per_kg * weight, 1)


def _session(rng, rows: Rows, ids: Ids, staff, patient_id, intake, route, number, weight, day, appointment,
             before, after, in_progress: bool) -> dict:
    """The dose, its readings, gate check and events; returns the session's row for what follows it."""
    session_id = ids.take("sessions_id_seq")
    dose = _dose(rng, route, weight, number)
    check = dosing.check_dose(route, dose, weight, first_session=number == 1, settings=DEFAULTS)
    started_at = datetime.combine(day, appointment)
    session = rows.add(
        "dosing_sessions", id=session_id, patient_id=patient_id, session_number=number, route=route, dose_mg=dose,
        weight_kg=weight, mg_per_kg=check.mg_per_kg, started_at=started_at,
        discharged_at=None if in_progress else started_at + timedelta(minutes=rng.randint(122, 150)),
        status="in_progress" if in_progress else "discharged", craving_before=before,
        craving_after=None if in_progress else after, nurse_id=staff["nurse"], prescriber_id=staff["prescriber"],
        override_reason=None, rules_version=DEFAULTS.rules_version)
    base_sbp = min(138, intake["systolic_bp"] + rng.randint(-8, 4))
    base_dbp = min(88, base_sbp - 30, intake["diastolic_bp"] + rng.randint(-5, 3))
    rise = max(0.0, rng.gauss(16 if route in ("iv", "im") else 10, 6))
    severe = rng.random() < 0.009
    if severe:
        rise = 180 - base_sbp + rng.randint(0, 12)
    for minutes, phase, shape, offset in VITALS_PLAN:
        if in_progress and minutes > 40:
            break
        noisy = 0 <= minutes and not (severe and minutes == 40)  # the pre-dose reading passed the gate as is
        sbp = round(base_sbp + rise * shape + (rng.gauss(0, 3) if noisy else 0))
        dbp = min(sbp - 20, round(base_dbp + 0.55 * rise * shape + (rng.gauss(0, 2) if noisy else 0)))
        peak = 0 < minutes <= 60
        heart_rate, spo2 = round(rng.gauss(76, 7) + 6 * shape), rng.randint(95, 99)
        if phase == "pre":
            _gate_and_details(rng, rows, ids, staff, patient_id, session_id, started_at, in_progress,
                              (sbp, dbp, heart_rate, spo2))
        rows.add("session_vitals", id=ids.take("vitals_id_seq"), session_id=session_id,
                 taken_at=started_at + offset, phase=phase,
                 minutes_after_dose=minutes if minutes >= 0 else None, systolic_bp=sbp, diastolic_bp=dbp,
                 heart_rate=heart_rate, spo2=spo2, respiratory_rate=rng.randint(12, 18),
                 moaa_s=rng.choice((3, 4, 4, 5)) if peak and route in ("iv", "im") else 5,
                 dissociation=rng.choice(("mild", "moderate", "moderate", "severe")) if peak and minutes <= 40
                 else "none")
        if sbp >= DEFAULTS.severe_systolic_at or dbp >= DEFAULTS.severe_diastolic_at:
            _adverse_event(rows, ids, staff, patient_id, session_id, "severe_hypertension",
                           f"BP {sbp}/{dbp} at {minutes} min", started_at + offset)
    last_minute = 40 if in_progress else 90  # a session still running is only as far on as its last reading
    for code, chance in (("nausea_vomiting", 0.08), ("dizziness", 0.10), ("headache", 0.06), ("anxiety", 0.05)):
        if rng.random() < chance:
            _adverse_event(rows, ids, staff, patient_id, session_id, code, "Synthetic demo event",
                           started_at + timedelta(minutes=rng.randint(15, last_minute)))
    return session


def _integration(rng, rows: Rows, ids: Ids, staff, session: dict, days_at_most: int, today: date) -> None:
    """The integration-therapy session 1 to `days_at_most` days after a dose (so before the next dose): booked at
    discharge while it is still ahead; once it has met, usually written up and signed by the therapist."""
    met_at = _at(session["started_at"].date() + timedelta(days=rng.randint(1, days_at_most)), rng, 9, 15)
    link = {"patient_id": session["patient_id"], "session_id": session["id"]}
    if met_at.date() > today:
        rows.add("therapy_bookings", id=ids.take("therapy_bookings_id_seq"), **link, scheduled_for=met_at,
                 booked_by=staff["nurse"], booked_at=session["discharged_at"])
    elif rng.random() < NOTE_SHARE:
        rows.add("integration_notes", id=ids.take("integration_notes_id_seq"), **link, met_at=met_at,
                 themes=rng.choice(THEMES), reflections=rng.choice(REFLECTIONS), plan=rng.choice(PLANS),
                 signed_by=staff["therapist"], signed_at=met_at + timedelta(minutes=rng.choice((60, 90, 120))))


def _gate_and_details(rng, rows: Rows, ids: Ids, staff, patient_id, session_id, started_at, in_progress,
                      pre: tuple[int, int, int, int]) -> None:
    """The pre-dose check the session passed, and its record: chair, intention, discharge and signature. `pre` holds
    the reading's blood pressures, heart rate and oxygen saturation (whole numbers)."""
    gate_id = ids.take("gate_checks_id_seq")
    rows.add("gate_checks", id=gate_id, patient_id=patient_id, checked_at=started_at - timedelta(minutes=10),
             checked_by=staff["nurse"], status="go", reasons="[]", rules_version=DEFAULTS.rules_version,
             inputs=_GATE_INPUTS % (*pre, rng.randint(30, 200)))
    done = not in_progress
    rows.add("session_details", session_id=session_id, gate_check_id=gate_id,
             chair=rng.choice(("Room 1", "Room 2", "Room 3", "Chair 4")),
             intention="Synthetic demo intention", left_with="Synthetic escort" if done else None,
             no_driving_told=True if done else None, signed_by=staff["prescriber"] if done else None,
             signed_at=started_at + timedelta(hours=3) if done else None)


_GATE_INPUTS = ('{"systolic_bp": %d, "diastolic_bp": %d, "heart_rate": %d, "spo2": %d, "hours_since_last_use": %d, '
                '"fasting_confirmed": true, "escort_confirmed": true}')
"""A gate check's inputs as `json.dumps` writes them, filled in without it for the cohort's hundreds of thousands."""


def _adverse_event(rows: Rows, ids: Ids, staff, patient_id, session_id, code, description, at) -> None:
    rows.add("adverse_events", id=ids.take("adverse_events_id_seq"), patient_id=patient_id, session_id=session_id,
             code=code, description=description, recorded_at=at, recorded_by=staff["nurse"])


def _assessment(rows: Rows, ids: Ids, recorded_by: int, patient_id, instrument_id, taken_at, result, answers,
                screening_id=None) -> int:
    """`answers` as stored: a list (of whole numbers, the scales' answers, which `str` writes as JSON does, faster)
    or the C-SSRS's yes/no dict; most flags are none."""
    assessment_id = ids.take("assessments_id_seq")
    rows.add("assessments", id=assessment_id, patient_id=patient_id, instrument=instrument_id,
             taken_at=taken_at, total=result.total, band=result.band,
             flags=json.dumps(sorted(result.flags)) if result.flags else "[]",
             answers=str(answers) if type(answers) is list else _sorted_json(answers), screening_id=screening_id,
             recorded_by=recorded_by)
    return assessment_id


def _checkin(rng, rows: Rows, ids: Ids, staff, patient_id, visit_at: datetime, totals: dict[str, int],
             scales: tuple[str, ...], pcl5: bool) -> None:
    """A follow-up visit as the app records one: the scales taken at every check-in, each an assessment at the
    visit time linked to it, so outcomes and the chart read the demo like real visits. With `pcl5`, the PCL-5 too
    (every fourth session), so "PCL-5 clearly lower" has patients behind it; its answers come from a generator of
    their own, so the rest of the demo is the same as before it was added."""
    checkin_id = ids.take("checkins_id_seq")
    rows.add("checkins", id=checkin_id, patient_id=patient_id, visit_at=visit_at, recorded_by=staff["therapist"],
             recorded_at=visit_at + timedelta(minutes=rng.choice((5, 10, 15))), note=None)
    for instrument_id in (*scales, *(("pcl5",) if pcl5 else ())):
        answers = _answers(random.Random(checkin_id) if instrument_id == "pcl5" else rng, instrument_id,
                           totals[instrument_id])
        assessment_id = _assessment(rows, ids, staff["therapist"], patient_id, instrument_id, visit_at,
                                    instruments.score(instrument_id, answers), answers)
        rows.add("checkin_assessments", checkin_id=checkin_id, assessment_id=assessment_id)


def _answers(rng, instrument_id: str, total: int) -> list[int]:
    """Answers in item order adding up to `total` (held to the scale's range), spread at random over the items.
    PHQ-9 item 9 stays 0: a positive one at a check-in needs a same-day safety follow-up the demo does not make."""
    highs = [item.high for item in instruments.get(instrument_id).items]
    if instrument_id == "phq9":
        highs[8] = 0
    total = max(0, min(sum(highs), total))
    if len(highs) == 1:
        return [total]
    answers = [0] * len(highs)
    for index in rng.sample([i for i, high in enumerate(highs) for _ in range(high)], total):
        answers[index] += 1
    return answers


def _use_log(rng, rows: Rows, patient_id, sex, substance, screened_at, first_day, details, today) -> None:
    """Daily use of the primary substance and whether anything else was used: the month before screening, recalled
    at screening, then follow-up after dosing starts, each day recorded the day after it; today is not over, so it
    is not logged yet. Most of the cohort's rows are these, so they are added column by column."""
    screened_on = screened_at.date()
    start = screened_on - timedelta(days=DAYS_BEFORE_SCREENING)
    end = screened_on - timedelta(days=1)
    if first_day is not None:
        end = min(today - timedelta(days=1), first_day + timedelta(days=FOLLOW_UP_DAYS))
    baseline = details["days_used_30"] / 30
    other_chance = OTHER_USE_CHANCE[bool(details["other_substances"])]
    log_time = rng.choice(LOG_TIMES)
    stays_abstinent = rng.random() < 0.45
    relapse_day = first_day + timedelta(days=round(rng.expovariate(1 / 35))) if first_day else None
    after_relapse = rng.uniform(0.2, 0.6)
    first, calendar, logged = _calendar(today)
    begin, stop = (start - first).days, (end - first).days + 1
    days = calendar[begin:stop]
    recalled = min(len(days), DAYS_BEFORE_SCREENING)

    def until(day: date) -> int:
        return max(0, min(len(days), (day - start).days))

    spans = [(baseline, recalled), (baseline * 0.8, until(first_day) if first_day else len(days))]
    if first_day:
        spans += [(0.0, len(days))] if stays_abstinent else [(0.01, until(relapse_day)), (after_relapse, len(days))]
    used, drinks, other_used = [], [], []
    draw, alcohol, most = rng.random, substance == "alcohol", (3, 12) if sex == "male" else (2, 9)
    done = 0
    for chance, upto in spans:  # the day's chance of use, the same from one day to the next within a span
        for _ in range(done, upto):
            use = draw() < chance
            used.append(use)
            if alcohol:
                drinks.append(float(rng.randint(*most)) if use else 0.0)
            other_used.append(draw() < other_chance)
        done = max(done, upto)
    rows.extend("substance_use_days", patient_id=[patient_id] * len(days), day=days, used=used,
                drinks=drinks or [None] * len(days), other_used=other_used,
                recorded_at=[(screened_at - EPOCH) // MICROSECOND] * recalled + logged[log_time][begin + recalled:stop])


@functools.lru_cache(maxsize=1)
def _calendar(today: date) -> tuple[date, list[date], dict[time, list[int]]]:
    """The first day a use log can hold, every day from it to today, and for each log time when each day is logged
    (the next day at that time, in microseconds since 1970: see EXTENDED_TYPES): made once per build, so a patient's
    days are slices, not 150 new objects each."""
    first = today - timedelta(days=SCREENING_DAYS + DAYS_BEFORE_SCREENING)
    days = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    return first, days, {at: [(datetime.combine(day + timedelta(days=1), at) - EPOCH) // MICROSECOND for day in days]
                         for at in LOG_TIMES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.demo", description="Build a synthetic demo cohort.")
    parser.add_argument("--db", required=True, help="database file to create or add to")
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.patients < 1:
        print("--patients must be at least 1", file=sys.stderr)
        return 1
    try:
        con = db.open_store(args.db)
    except db.StoreError as e:
        print(e, file=sys.stderr)
        return 1
    started = datetime.now()
    counts = build(con, args.patients, args.seed)
    seconds = (datetime.now() - started).total_seconds()
    print(f"Built {args.patients} synthetic patients in {seconds:.1f} s: "
          + ", ".join(f"{n} {table}" for table, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
