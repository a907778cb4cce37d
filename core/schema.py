"""The database schema as numbered migrations, applied once each at start-up.

CHECK constraints live in CREATE TABLE because DuckDB cannot add them later; the vital-sign
limits repeat `core.rules.vitals.PLAUSIBLE` so that no path into the file can store an impossible
reading (tests/core/test_schema.py holds the two in step). Keys are surrogate integers;
the clinic's chart number is searchable data, not a key, so it can be corrected.
"""

from __future__ import annotations

from datetime import datetime

from core import audit_chain, seals
from core.audit_chain import plain_hash
from core.progress import Progress, Step

ROLES = ("admin", "prescriber", "nurse", "therapist", "viewer")
SUBSTANCES = ("alcohol", "opioids", "cocaine", "methamphetamine")
PATIENT_STATUSES = ("screened", "approved", "declined", "ineligible")
DECISIONS = ("eligible", "needs_review", "ineligible")
INSTRUMENT_IDS = ("phq9", "gad7", "pcl5", "auditc", "pacs", "craving_vas", "cssrs")
ROUTES = ("iv", "im", "intranasal", "oral")
SESSION_STATUSES = ("in_progress", "discharged", "stopped")
VITALS_PHASES = ("pre", "during", "discharge")
DISSOCIATION = ("none", "mild", "moderate", "severe")
DRAFT_KINDS = ("screening", "dosing", "checkin", "integration_note")
SELF_REPORT_DECISIONS = ("accepted", "rejected")
SAFETY_OUTCOMES = ("safety_plan", "urgent_referral", "emergency_care", "left_before_assessment")
ADVERSE_EVENTS = ("severe_hypertension", "nausea_vomiting", "dizziness", "headache", "anxiety",
                  "respiratory_depression", "other")
GATE_STATUSES = ("go", "hold", "refused")
STOP_REASONS = ("dose_interrupted", "patient_request", "adverse_event")
SEVERITIES = ("mild", "moderate", "severe")
CORRECTABLE_USE_FIELDS = ("used", "drinks", "other_used")
REMS_FORM_STATUSES = ("draft", "complete", "submitted")
KEYED = 8
"""The migration that keys the audit chain (and writes the first head): a database past it must have its key."""


def _in(values: tuple[str, ...]) -> str:
    """A CHECK list from a fixed tuple in this module (never from user input)."""
    return ", ".join(f"'{v}'" for v in values)


MIGRATIONS: list[tuple[int, str, list]] = [
    (1, "initial schema", [
        """CREATE TABLE database_info (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)""",
        "CREATE SEQUENCE users_id_seq",
        f"""CREATE TABLE users (
            id INTEGER PRIMARY KEY DEFAULT nextval('users_id_seq'),
            username VARCHAR NOT NULL UNIQUE CHECK (length(trim(username)) > 0),
            display_name VARCHAR NOT NULL,
            role VARCHAR NOT NULL CHECK (role IN ({_in(ROLES)})),
            password_hash VARCHAR NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
            active BOOLEAN NOT NULL DEFAULT TRUE,
            created_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE patients_id_seq",
        f"""CREATE TABLE patients (
            id INTEGER PRIMARY KEY DEFAULT nextval('patients_id_seq'),
            mrn VARCHAR NOT NULL,
            first_name VARCHAR NOT NULL,
            last_name VARCHAR NOT NULL,
            date_of_birth DATE NOT NULL,
            sex VARCHAR NOT NULL CHECK (sex IN ('male', 'female')),
            phone VARCHAR,
            emergency_contact VARCHAR,
            primary_substance VARCHAR NOT NULL CHECK (primary_substance IN ({_in(SUBSTANCES)})),
            status VARCHAR NOT NULL CHECK (status IN ({_in(PATIENT_STATUSES)})),
            created_at TIMESTAMP NOT NULL,
            created_by INTEGER REFERENCES users(id)
        )""",
        "CREATE SEQUENCE screenings_id_seq",
        f"""CREATE TABLE screenings (
            id INTEGER PRIMARY KEY DEFAULT nextval('screenings_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            screened_at TIMESTAMP NOT NULL,
            screened_by INTEGER REFERENCES users(id),
            answers VARCHAR NOT NULL,
            systolic_bp INTEGER NOT NULL CHECK (systolic_bp BETWEEN 40 AND 300),
            diastolic_bp INTEGER NOT NULL CHECK (diastolic_bp BETWEEN 20 AND 200),
            decision VARCHAR NOT NULL CHECK (decision IN ({_in(DECISIONS)})),
            urgent BOOLEAN NOT NULL,
            reasons VARCHAR NOT NULL,
            rules_version VARCHAR NOT NULL,
            CHECK (diastolic_bp < systolic_bp)
        )""",
        "CREATE SEQUENCE approvals_id_seq",
        """CREATE TABLE approvals (
            id INTEGER PRIMARY KEY DEFAULT nextval('approvals_id_seq'),
            screening_id INTEGER NOT NULL REFERENCES screenings(id),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            prescriber_id INTEGER REFERENCES users(id),
            decision VARCHAR NOT NULL CHECK (decision IN ('approved', 'declined')),
            note VARCHAR NOT NULL,
            signed_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE sessions_id_seq",
        f"""CREATE TABLE dosing_sessions (
            id INTEGER PRIMARY KEY DEFAULT nextval('sessions_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            session_number INTEGER NOT NULL CHECK (session_number >= 1),
            route VARCHAR NOT NULL CHECK (route IN ({_in(ROUTES)})),
            dose_mg DOUBLE NOT NULL CHECK (dose_mg > 0),
            weight_kg DOUBLE NOT NULL CHECK (weight_kg BETWEEN 23 AND 340),
            mg_per_kg DOUBLE NOT NULL CHECK (mg_per_kg > 0),
            started_at TIMESTAMP NOT NULL,
            discharged_at TIMESTAMP CHECK (discharged_at IS NULL OR discharged_at >= started_at),
            status VARCHAR NOT NULL CHECK (status IN ({_in(SESSION_STATUSES)})),
            craving_before INTEGER CHECK (craving_before BETWEEN 0 AND 100),
            craving_after INTEGER CHECK (craving_after BETWEEN 0 AND 100),
            nurse_id INTEGER REFERENCES users(id),
            prescriber_id INTEGER REFERENCES users(id),
            override_reason VARCHAR,
            rules_version VARCHAR NOT NULL
        )""",
        "CREATE SEQUENCE vitals_id_seq",
        f"""CREATE TABLE session_vitals (
            id INTEGER PRIMARY KEY DEFAULT nextval('vitals_id_seq'),
            session_id INTEGER NOT NULL REFERENCES dosing_sessions(id),
            taken_at TIMESTAMP NOT NULL,
            phase VARCHAR NOT NULL CHECK (phase IN ({_in(VITALS_PHASES)})),
            minutes_after_dose INTEGER CHECK (minutes_after_dose >= 0),
            systolic_bp INTEGER NOT NULL CHECK (systolic_bp BETWEEN 40 AND 300),
            diastolic_bp INTEGER NOT NULL CHECK (diastolic_bp BETWEEN 20 AND 200),
            heart_rate INTEGER CHECK (heart_rate BETWEEN 20 AND 250),
            spo2 INTEGER CHECK (spo2 BETWEEN 50 AND 100),
            respiratory_rate INTEGER CHECK (respiratory_rate BETWEEN 4 AND 60),
            moaa_s INTEGER CHECK (moaa_s BETWEEN 0 AND 5),
            dissociation VARCHAR CHECK (dissociation IN ({_in(DISSOCIATION)})),
            CHECK (diastolic_bp < systolic_bp)
        )""",
        "CREATE SEQUENCE adverse_events_id_seq",
        f"""CREATE TABLE adverse_events (
            id INTEGER PRIMARY KEY DEFAULT nextval('adverse_events_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            session_id INTEGER REFERENCES dosing_sessions(id),
            code VARCHAR NOT NULL CHECK (code IN ({_in(ADVERSE_EVENTS)})),
            description VARCHAR,
            recorded_at TIMESTAMP NOT NULL,
            recorded_by INTEGER REFERENCES users(id)
        )""",
        "CREATE SEQUENCE assessments_id_seq",
        f"""CREATE TABLE assessments (
            id INTEGER PRIMARY KEY DEFAULT nextval('assessments_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            instrument VARCHAR NOT NULL CHECK (instrument IN ({_in(INSTRUMENT_IDS)})),
            taken_at TIMESTAMP NOT NULL,
            total INTEGER CHECK (total >= 0),
            band VARCHAR,
            flags VARCHAR NOT NULL DEFAULT '[]',
            answers VARCHAR NOT NULL,
            screening_id INTEGER REFERENCES screenings(id),
            session_id INTEGER REFERENCES dosing_sessions(id),
            recorded_by INTEGER REFERENCES users(id)
        )""",
        """CREATE TABLE substance_use_days (
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            day DATE NOT NULL,
            used BOOLEAN NOT NULL,
            drinks DOUBLE CHECK (drinks IS NULL OR drinks >= 0),
            recorded_by INTEGER REFERENCES users(id),
            PRIMARY KEY (patient_id, day)
        )""",
        """CREATE TABLE clinic_settings (
            name VARCHAR PRIMARY KEY,
            value VARCHAR NOT NULL,
            changed_by INTEGER REFERENCES users(id),
            changed_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE audit_id_seq",
        """CREATE TABLE audit_log (
            id BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
            occurred_at TIMESTAMP NOT NULL DEFAULT current_localtimestamp(),
            actor_id INTEGER,
            action VARCHAR NOT NULL,
            entity VARCHAR NOT NULL DEFAULT '',
            entity_id BIGINT,
            detail VARCHAR NOT NULL DEFAULT '{}'
        )""",
    ]),
    (2, "drafts and same-day safety follow-ups", [
        "CREATE SEQUENCE drafts_id_seq",
        """CREATE TABLE drafts (
            id INTEGER PRIMARY KEY DEFAULT nextval('drafts_id_seq'),
            user_id INTEGER NOT NULL REFERENCES users(id),
            kind VARCHAR NOT NULL CHECK (kind IN ('screening')),
            patient_id INTEGER REFERENCES patients(id),
            content VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE safety_followups_id_seq",
        """CREATE TABLE safety_followups (
            id INTEGER PRIMARY KEY DEFAULT nextval('safety_followups_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            screening_id INTEGER NOT NULL UNIQUE REFERENCES screenings(id),
            raised_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE safety_assessments_id_seq",
        f"""CREATE TABLE safety_assessments (
            id INTEGER PRIMARY KEY DEFAULT nextval('safety_assessments_id_seq'),
            followup_id INTEGER NOT NULL UNIQUE REFERENCES safety_followups(id),
            assessed_at TIMESTAMP NOT NULL,
            assessed_by INTEGER NOT NULL REFERENCES users(id),
            outcome VARCHAR NOT NULL CHECK (outcome IN ({_in(SAFETY_OUTCOMES)})),
            note VARCHAR NOT NULL CHECK (length(trim(note)) > 0)
        )""",
        # Urgent screenings saved before this table existed still need their assessment recorded.
        """INSERT INTO safety_followups (patient_id, screening_id, raised_at)
           SELECT patient_id, id, screened_at FROM screenings WHERE urgent ORDER BY id""",
    ]),
    (3, "the dosing-session record: gate checks, details, signature, addenda", [
        "CREATE SEQUENCE gate_checks_id_seq",
        f"""CREATE TABLE gate_checks (
            id INTEGER PRIMARY KEY DEFAULT nextval('gate_checks_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            checked_at TIMESTAMP NOT NULL,
            checked_by INTEGER NOT NULL REFERENCES users(id),
            inputs VARCHAR NOT NULL,
            status VARCHAR NOT NULL CHECK (status IN ({_in(GATE_STATUSES)})),
            reasons VARCHAR NOT NULL,
            rules_version VARCHAR NOT NULL
        )""",
        # dosing_sessions is referenced by vitals and events, so DuckDB cannot add columns to it: a session's
        # further record is a 1:1 table.
        f"""CREATE TABLE session_details (
            session_id INTEGER PRIMARY KEY REFERENCES dosing_sessions(id),
            gate_check_id INTEGER NOT NULL UNIQUE REFERENCES gate_checks(id),
            chair VARCHAR,
            intention VARCHAR NOT NULL CHECK (length(trim(intention)) > 0),
            override_by INTEGER REFERENCES users(id),
            stop_reason VARCHAR CHECK (stop_reason IN ({_in(STOP_REASONS)})),
            stop_note VARCHAR,
            left_with VARCHAR,
            no_driving_told BOOLEAN,
            signed_by INTEGER REFERENCES users(id),
            signed_at TIMESTAMP,
            CHECK ((signed_by IS NULL) = (signed_at IS NULL))
        )""",
        f"""CREATE TABLE adverse_event_details (
            adverse_event_id INTEGER PRIMARY KEY REFERENCES adverse_events(id),
            severity VARCHAR NOT NULL CHECK (severity IN ({_in(SEVERITIES)})),
            action_taken VARCHAR NOT NULL
        )""",
        "CREATE SEQUENCE session_addenda_id_seq",
        """CREATE TABLE session_addenda (
            id INTEGER PRIMARY KEY DEFAULT nextval('session_addenda_id_seq'),
            session_id INTEGER NOT NULL REFERENCES dosing_sessions(id),
            added_at TIMESTAMP NOT NULL,
            added_by INTEGER NOT NULL REFERENCES users(id),
            reason VARCHAR NOT NULL CHECK (length(trim(reason)) > 0),
            text VARCHAR NOT NULL CHECK (length(trim(text)) > 0)
        )""",
    ]),
    # DuckDB cannot change a CHECK: the drafts table is rebuilt with the new kind and renamed into place.
    (4, "drafts of a dosing session's pre-dose form", [
        """CREATE TABLE drafts_v4 (
            id INTEGER PRIMARY KEY DEFAULT nextval('drafts_id_seq'),
            user_id INTEGER NOT NULL REFERENCES users(id),
            kind VARCHAR NOT NULL CHECK (kind IN ('screening', 'dosing')),
            patient_id INTEGER REFERENCES patients(id),
            content VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""",
        "INSERT INTO drafts_v4 SELECT id, user_id, kind, patient_id, content, started_at, updated_at FROM drafts",
        "DROP TABLE drafts",
        "ALTER TABLE drafts_v4 RENAME TO drafts",
    ]),
    # safety_followups gains the check-in that raised it; DuckDB cannot change a referenced table, so the pair is
    # copied aside, dropped and rebuilt (ids and sequences kept).
    (5, "check-ins, use-day corrections, integration notes and bookings", [
        "CREATE SEQUENCE checkins_id_seq",
        """CREATE TABLE checkins (
            id INTEGER PRIMARY KEY DEFAULT nextval('checkins_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            visit_at TIMESTAMP NOT NULL,
            recorded_by INTEGER NOT NULL REFERENCES users(id),
            recorded_at TIMESTAMP NOT NULL,
            note VARCHAR
        )""",
        """CREATE TABLE checkin_assessments (
            checkin_id INTEGER NOT NULL REFERENCES checkins(id),
            assessment_id INTEGER NOT NULL UNIQUE REFERENCES assessments(id),
            PRIMARY KEY (checkin_id, assessment_id)
        )""",
        "ALTER TABLE substance_use_days ADD COLUMN other_used BOOLEAN",
        "ALTER TABLE substance_use_days ADD COLUMN recorded_at TIMESTAMP",
        "CREATE SEQUENCE use_day_corrections_id_seq",
        """CREATE TABLE use_day_corrections (
            id INTEGER PRIMARY KEY DEFAULT nextval('use_day_corrections_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            day DATE NOT NULL,
            before VARCHAR NOT NULL,
            after VARCHAR NOT NULL,
            reason VARCHAR NOT NULL CHECK (length(trim(reason)) > 0),
            corrected_by INTEGER NOT NULL REFERENCES users(id),
            corrected_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE integration_notes_id_seq",
        """CREATE TABLE integration_notes (
            id INTEGER PRIMARY KEY DEFAULT nextval('integration_notes_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            session_id INTEGER NOT NULL UNIQUE REFERENCES dosing_sessions(id),
            met_at TIMESTAMP NOT NULL,
            themes VARCHAR NOT NULL CHECK (length(trim(themes)) > 0),
            reflections VARCHAR NOT NULL CHECK (length(trim(reflections)) > 0),
            plan VARCHAR NOT NULL CHECK (length(trim(plan)) > 0),
            signed_by INTEGER NOT NULL REFERENCES users(id),
            signed_at TIMESTAMP NOT NULL
        )""",
        "CREATE SEQUENCE therapy_bookings_id_seq",
        """CREATE TABLE therapy_bookings (
            id INTEGER PRIMARY KEY DEFAULT nextval('therapy_bookings_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            session_id INTEGER NOT NULL UNIQUE REFERENCES dosing_sessions(id),
            scheduled_for TIMESTAMP NOT NULL,
            booked_by INTEGER NOT NULL REFERENCES users(id),
            booked_at TIMESTAMP NOT NULL
        )""",
        "CREATE TABLE safety_followups_v4 AS SELECT * FROM safety_followups",
        "CREATE TABLE safety_assessments_v4 AS SELECT * FROM safety_assessments",
        "DROP TABLE safety_assessments",
        "DROP TABLE safety_followups",
        """CREATE TABLE safety_followups (
            id INTEGER PRIMARY KEY DEFAULT nextval('safety_followups_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            screening_id INTEGER UNIQUE REFERENCES screenings(id),
            checkin_id INTEGER UNIQUE REFERENCES checkins(id),
            raised_at TIMESTAMP NOT NULL,
            CHECK ((screening_id IS NULL) <> (checkin_id IS NULL))
        )""",
        f"""CREATE TABLE safety_assessments (
            id INTEGER PRIMARY KEY DEFAULT nextval('safety_assessments_id_seq'),
            followup_id INTEGER NOT NULL UNIQUE REFERENCES safety_followups(id),
            assessed_at TIMESTAMP NOT NULL,
            assessed_by INTEGER NOT NULL REFERENCES users(id),
            outcome VARCHAR NOT NULL CHECK (outcome IN ({_in(SAFETY_OUTCOMES)})),
            note VARCHAR NOT NULL CHECK (length(trim(note)) > 0)
        )""",
        """INSERT INTO safety_followups (id, patient_id, screening_id, raised_at)
           SELECT id, patient_id, screening_id, raised_at FROM safety_followups_v4""",
        "INSERT INTO safety_assessments SELECT * FROM safety_assessments_v4",
        "DROP TABLE safety_assessments_v4",
        "DROP TABLE safety_followups_v4",
        """CREATE TABLE drafts_v5 (
            id INTEGER PRIMARY KEY DEFAULT nextval('drafts_id_seq'),
            user_id INTEGER NOT NULL REFERENCES users(id),
            kind VARCHAR NOT NULL CHECK (kind IN ('screening', 'dosing', 'checkin')),
            patient_id INTEGER REFERENCES patients(id),
            content VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""",
        "INSERT INTO drafts_v5 SELECT * FROM drafts",
        "DROP TABLE drafts",
        "ALTER TABLE drafts_v5 RENAME TO drafts",
    ]),
    (6, "a hash chain over the audit trail", [
        "ALTER TABLE audit_log ADD COLUMN prev_hash VARCHAR",
        "ALTER TABLE audit_log ADD COLUMN row_hash VARCHAR",
        lambda cur: seal_existing_audit_rows(cur),
    ]),
    (7, "drafts of integration notes", [
        """CREATE TABLE drafts_v7 (
            id INTEGER PRIMARY KEY DEFAULT nextval('drafts_id_seq'),
            user_id INTEGER NOT NULL REFERENCES users(id),
            kind VARCHAR NOT NULL CHECK (kind IN ('screening', 'dosing', 'checkin', 'integration_note')),
            patient_id INTEGER REFERENCES patients(id),
            content VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""",
        "INSERT INTO drafts_v7 SELECT * FROM drafts",
        "DROP TABLE drafts",
        "ALTER TABLE drafts_v7 RENAME TO drafts",
    ]),
    (KEYED, "an audit chain keyed outside the database, and seals over signed records", [
        lambda cur: key_the_chain(cur, audit_chain.anchor_of(cur)),
    ]),
    (9, "comments on a decided screening", [
        "CREATE SEQUENCE screening_comments_id_seq",
        """CREATE TABLE screening_comments (
            id INTEGER PRIMARY KEY DEFAULT nextval('screening_comments_id_seq'),
            screening_id INTEGER NOT NULL REFERENCES screenings(id),
            added_at TIMESTAMP NOT NULL,
            added_by INTEGER NOT NULL REFERENCES users(id),
            text VARCHAR NOT NULL CHECK (length(trim(text)) > 0)
        )""",
    ]),
    # Both are tables of their own, keyed by what they answer: DuckDB cannot add columns to a referenced table, and
    # the primary key makes a second acknowledgement or review of one record impossible, whoever races to it.
    (10, "severe events acknowledged and sessions reviewed by a prescriber", [
        """CREATE TABLE adverse_event_acknowledgements (
            adverse_event_id INTEGER PRIMARY KEY REFERENCES adverse_events(id),
            acknowledged_by INTEGER NOT NULL REFERENCES users(id),
            acknowledged_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE session_reviews (
            session_id INTEGER PRIMARY KEY REFERENCES dosing_sessions(id),
            reviewed_by INTEGER NOT NULL REFERENCES users(id),
            reviewed_at TIMESTAMP NOT NULL,
            note VARCHAR NOT NULL CHECK (length(trim(note)) > 0)
        )""",
    ]),
    # A signed integration note never changes; a later correction is kept beside it (core/addenda.py).
    (11, "addenda to signed integration notes", [
        "CREATE SEQUENCE note_addenda_id_seq",
        """CREATE TABLE note_addenda (
            id INTEGER PRIMARY KEY DEFAULT nextval('note_addenda_id_seq'),
            note_id INTEGER NOT NULL REFERENCES integration_notes(id),
            added_at TIMESTAMP NOT NULL,
            added_by INTEGER NOT NULL REFERENCES users(id),
            reason VARCHAR NOT NULL CHECK (length(trim(reason)) > 0),
            text VARCHAR NOT NULL CHECK (length(trim(text)) > 0)
        )""",
    ]),
    # Keyed by the session's own id (named id, as the seals read a record by it): one dose given per session, and
    # dosing_sessions, referenced by other tables, cannot take a column.
    (12, "the dose actually given, recorded at a stop or at discharge", [
        """CREATE TABLE doses_given (
            id INTEGER PRIMARY KEY REFERENCES dosing_sessions(id),
            mg DOUBLE NOT NULL CHECK (mg > 0),
            mg_per_kg DOUBLE NOT NULL CHECK (mg_per_kg > 0),
            recorded_at TIMESTAMP NOT NULL,
            recorded_by INTEGER NOT NULL REFERENCES users(id)
        )""",
    ]),
    # One form per intranasal session, keyed by the session: what the session's record already holds is read from it
    # each time (core/rems.py); only the typed answers are kept here, and at completion the whole form as completed.
    (13, "the Spravato REMS patient monitoring form of each intranasal session", [
        f"""CREATE TABLE rems_forms (
            session_id INTEGER PRIMARY KEY REFERENCES dosing_sessions(id),
            answers VARCHAR NOT NULL,
            status VARCHAR NOT NULL CHECK (status IN ({_in(REMS_FORM_STATUSES)})),
            saved_by INTEGER NOT NULL REFERENCES users(id),
            saved_at TIMESTAMP NOT NULL,
            completed_form VARCHAR,
            completed_by INTEGER REFERENCES users(id),
            completed_at TIMESTAMP,
            submitted_by INTEGER REFERENCES users(id),
            submitted_at TIMESTAMP,
            CHECK ((completed_by IS NULL) = (completed_at IS NULL)),
            CHECK ((completed_at IS NULL) = (completed_form IS NULL)),
            CHECK ((submitted_by IS NULL) = (submitted_at IS NULL)),
            CHECK (submitted_at IS NULL OR completed_at IS NOT NULL),
            CHECK ((status = 'draft') = (completed_at IS NULL)),
            CHECK ((status = 'submitted') = (submitted_at IS NOT NULL))
        )""",
    ]),
    # A patient's answers between visits (core/self_report.py). The request never changes once issued; what happens to
    # it later (cancelled, sent, reviewed) is a table of its own keyed by the request, as in migration 10, so no row
    # that others reference is ever updated. Only hashes of the link's token and the kiosk code are stored.
    # safety_followups is rebuilt (as in migration 5) to name a self-report as what raised a follow-up.
    (14, "patient self-report requests, what patients sent, and its review", [
        "CREATE SEQUENCE self_reports_id_seq",
        """CREATE TABLE self_reports (
            id INTEGER PRIMARY KEY DEFAULT nextval('self_reports_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            asks VARCHAR NOT NULL,
            use_log BOOLEAN NOT NULL,
            log_from DATE,
            token_hash VARCHAR NOT NULL UNIQUE CHECK (length(token_hash) = 64),
            kiosk_hash VARCHAR NOT NULL CHECK (length(kiosk_hash) = 64),
            issued_by INTEGER NOT NULL REFERENCES users(id),
            issued_at TIMESTAMP NOT NULL,
            expires_at TIMESTAMP NOT NULL,
            CHECK (expires_at > issued_at),
            CHECK (use_log = (log_from IS NOT NULL))
        )""",
        """CREATE TABLE self_report_cancellations (
            report_id INTEGER PRIMARY KEY REFERENCES self_reports(id),
            cancelled_by INTEGER NOT NULL REFERENCES users(id),
            cancelled_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE self_report_drafts (
            report_id INTEGER PRIMARY KEY REFERENCES self_reports(id),
            content VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )""",
        """CREATE TABLE self_report_answers (
            report_id INTEGER PRIMARY KEY REFERENCES self_reports(id),
            sent_at TIMESTAMP NOT NULL,
            answers VARCHAR NOT NULL,
            use_days VARCHAR NOT NULL,
            crisis BOOLEAN NOT NULL
        )""",
        f"""CREATE TABLE self_report_reviews (
            report_id INTEGER PRIMARY KEY REFERENCES self_reports(id),
            decision VARCHAR NOT NULL CHECK (decision IN ({_in(SELF_REPORT_DECISIONS)})),
            reason VARCHAR,
            checkin_id INTEGER UNIQUE REFERENCES checkins(id),
            reviewed_by INTEGER NOT NULL REFERENCES users(id),
            reviewed_at TIMESTAMP NOT NULL,
            CHECK ((decision = 'accepted') = (checkin_id IS NOT NULL)),
            CHECK (decision = 'accepted' OR length(trim(coalesce(reason, ''))) > 0)
        )""",
        "CREATE TABLE safety_followups_v13 AS SELECT * FROM safety_followups",
        "CREATE TABLE safety_assessments_v13 AS SELECT * FROM safety_assessments",
        "DROP TABLE safety_assessments",
        "DROP TABLE safety_followups",
        """CREATE TABLE safety_followups (
            id INTEGER PRIMARY KEY DEFAULT nextval('safety_followups_id_seq'),
            patient_id INTEGER NOT NULL REFERENCES patients(id),
            screening_id INTEGER UNIQUE REFERENCES screenings(id),
            checkin_id INTEGER UNIQUE REFERENCES checkins(id),
            raised_at TIMESTAMP NOT NULL,
            self_report_id INTEGER UNIQUE REFERENCES self_reports(id),
            CHECK (CAST(screening_id IS NOT NULL AS INTEGER) + CAST(checkin_id IS NOT NULL AS INTEGER)
                   + CAST(self_report_id IS NOT NULL AS INTEGER) = 1)
        )""",
        f"""CREATE TABLE safety_assessments (
            id INTEGER PRIMARY KEY DEFAULT nextval('safety_assessments_id_seq'),
            followup_id INTEGER NOT NULL UNIQUE REFERENCES safety_followups(id),
            assessed_at TIMESTAMP NOT NULL,
            assessed_by INTEGER NOT NULL REFERENCES users(id),
            outcome VARCHAR NOT NULL CHECK (outcome IN ({_in(SAFETY_OUTCOMES)})),
            note VARCHAR NOT NULL CHECK (length(trim(note)) > 0)
        )""",
        """INSERT INTO safety_followups (id, patient_id, screening_id, checkin_id, raised_at)
           SELECT id, patient_id, screening_id, checkin_id, raised_at FROM safety_followups_v13 ORDER BY id""",
        "INSERT INTO safety_assessments SELECT * FROM safety_assessments_v13 ORDER BY id",
        "DROP TABLE safety_assessments_v13",
        "DROP TABLE safety_followups_v13",
    ]),
]


def seal_existing_audit_rows(cur) -> None:
    """Chain the rows written before the chain existed, in id order, so the whole trail verifies from its first
    row. This is the one time audit rows are updated, inside the migration's transaction."""
    rows = cur.execute("SELECT id, occurred_at, actor_id, action, entity, entity_id, detail FROM audit_log "
                       "ORDER BY id").fetchall()
    previous, sealed = "", []
    for row in rows:
        digest = plain_hash(previous, *row)
        sealed.append((row[0], previous, digest))
        previous = digest
    _write_hashes(cur, sealed)


def _write_hashes(cur, hashes: list[tuple[int, str, str]]) -> None:
    """Every audit row's (id, prev_hash, row_hash) written in one statement, through a temporary table: a row at a
    time would take minutes on a large trail."""
    if not hashes:
        return
    cur.execute("CREATE TEMP TABLE chained (id BIGINT, prev_hash VARCHAR, row_hash VARCHAR)")
    cur.executemany("INSERT INTO chained VALUES (?, ?, ?)", hashes)
    cur.execute("UPDATE audit_log SET prev_hash = c.prev_hash, row_hash = c.row_hash FROM chained c "
                "WHERE audit_log.id = c.id")
    cur.execute("DROP TABLE chained")


class ChainBroken(RuntimeError):
    """The unkeyed chain does not verify, so it cannot be keyed: keying it would bless whatever changed it."""


def key_the_chain(cur, anchor: audit_chain.Anchor) -> None:
    """Check the old SHA-256 chain whole, then rewrite every row's hashes under the key (the one time audit rows are
    updated after migration 6, inside this migration's transaction), and seal the signed records already there with
    one `records_sealed` row per table. Refused, in words, when the old chain is already broken.

    The head is written before this migration's COMMIT, not after: a stop between the two then leaves either the
    keyed trail with its head, or the unkeyed one, which the next start keys again, rewriting the head."""
    rows = cur.execute("SELECT id, occurred_at, actor_id, action, entity, entity_id, detail, prev_hash, row_hash "
                       "FROM audit_log ORDER BY id").fetchall()
    previous, keyed, keyed_previous = "", [], ""
    for row in rows:
        if row[7] != previous or row[8] != plain_hash(previous, *row[:7]):
            raise ChainBroken(
                f"The audit trail is broken at row {row[0]} (it was changed, or a row before it was removed or "
                "inserted), so it cannot be moved to the keyed chain. Keep this file as evidence, and restore the "
                "newest backup whose trail verifies (python -m core.audit verify).")
        previous = row[8]
        digest = anchor.chain_hash(keyed_previous, *row[:7])
        keyed.append((row[0], keyed_previous, digest))
        keyed_previous = digest
    _write_hashes(cur, keyed)
    existing = {row[0] for row in cur.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = "
                                              "current_database() AND schema_name = current_schema()").fetchall()}
    for sealed in seals.SEALED:
        if sealed.table in existing:  # a table a later migration creates has no record to seal yet
            seals.seal_range(cur, anchor, sealed.table, 0)
    anchor.write_head(audit_chain.head_in(cur))


def migrate(con, progress: Progress | None = None) -> list[int]:
    """Apply every migration not yet recorded, each in its own transaction; returns those applied. `progress` hears
    ("Creating the database" for a new file, else "Updating the database", applied, pending) when any are pending."""
    cur = con.cursor()
    try:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
        done = {row[0] for row in cur.execute("SELECT version FROM schema_migrations").fetchall()}
        pending = [m for m in MIGRATIONS if m[0] not in done]
        step = Step(progress, "Updating the database" if done else "Creating the database", len(pending)) \
            if pending else None
        applied = []
        if any(m[0] == KEYED for m in pending):
            audit_chain.register(cur, audit_chain.anchor_of(con))  # the migration's cursor writes to con's file
        for version, name, statements in pending:
            cur.execute("BEGIN TRANSACTION")
            try:
                for statement in statements:
                    if callable(statement):
                        statement(cur)
                    else:
                        cur.execute(statement)
                cur.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, datetime.now()])
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
            applied.append(version)
            step.advance()
        return applied
    finally:
        cur.close()
