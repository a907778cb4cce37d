"""The Safe Harbor export (issue item 2) on the 300-patient demo cohort, and its rules on hand-made rows."""

import io
import json
import re
from datetime import date, timedelta

import duckdb
import pyarrow.parquet as pq
import pytest

from core import clinic_settings, outcomes, safe_harbor
from core.access import AccessDenied, User
from core.outcomes import AGE_BANDS, Cohort
from core.rules import safe_harbor as rules
from core.rules.settings import DEFAULTS
from tests.conftest import DEMO_TODAY

EVERYONE_EVER = Cohort(date(2000, 1, 1), DEMO_TODAY)
QI = list(rules.QUASI_IDENTIFIERS)


def account(con, username: str) -> User:
    return User(*con.execute("SELECT id, username, display_name, role FROM users WHERE username = ?",
                             [username]).fetchone())


@pytest.fixture
def named_clinic(demo_store):
    clinic_settings.save(demo_store, account(demo_store, "admin"), "clinic_pseudonym", "north-1",
                         "agreed with the network in 2026")
    return demo_store


def test_the_export_of_a_demo_cohort_has_no_date_finer_than_a_year_groups_of_11_and_counts_what_it_withholds(
        named_clinic, tmp_path):
    nurse = account(named_clinic, "nurse")
    made = safe_harbor.export(named_clinic, nurse, EVERYONE_EVER, as_of=DEMO_TODAY)
    path = tmp_path / "north-1.parquet"
    path.write_bytes(made.parquet())

    table = pq.read_table(path)
    assert table.schema.remove_metadata() == safe_harbor.COLUMNS
    assert not any(str(t).startswith(("date", "timestamp", "time")) for t in table.schema.types)
    rows = table.to_pandas()
    assert rows["first_year"].str.fullmatch(r"\d{4}|\d{4}-\d{4}").all()
    assert set(rows["age_band"]) <= {*AGE_BANDS, "18-35", "36-55", "56+", "18+"}
    assert (rows["clinic"] == "north-1").all()
    dates = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2} [A-Z][a-z]{2} \d{4}")
    assert not any(dates.search(line) for line in made.csv().decode().splitlines())

    groups = rows.groupby(QI).size()
    assert groups.min() >= 11

    patients = outcomes.figures(named_clinic, nurse, EVERYONE_EVER, as_of=DEMO_TODAY)["patients"].value
    with duckdb.connect() as con:
        meta = dict(con.execute("SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)",
                                [str(path)]).fetchall())
    assert meta["schema_version"] == safe_harbor.SCHEMA_VERSION and meta["clinic_pseudonym"] == "north-1"
    assert meta["as_of_year"] == "2026" and meta["rules_version"] == DEFAULTS.rules_version
    assert int(meta["rows"]) == len(rows) and int(meta["smallest_group"]) == groups.min()
    withheld = int(meta["rows_withheld"])
    assert len(rows) + withheld == patients
    assert sum(json.loads(meta["withheld_reasons"]).values()) == withheld
    print(f"demo cohort: {patients} patients, {len(rows)} exported, {withheld} withheld, smallest group "
          f"{groups.min()}, generalised {json.loads(meta['generalised'])}")
    assert named_clinic.execute("SELECT json_extract_string(detail, '$.withheld') FROM audit_log "
                                "WHERE action = 'outcomes_exported'").fetchall() == [(str(withheld),)]


def test_the_rows_carry_each_patient_s_outcomes_in_whole_weeks(named_clinic):
    nurse = account(named_clinic, "nurse")
    made = safe_harbor.export(named_clinic, nurse, EVERYONE_EVER, as_of=DEMO_TODAY)
    everyone = outcomes.patients_behind(named_clinic, nurse, EVERYONE_EVER, "patients", as_of=DEMO_TODAY)
    assert made.rows["sessions"].sum() <= everyone["sessions"].sum()
    assert made.rows["relapse_week"].max() <= DEFAULTS.follow_up_days // 7
    weeks = sorted((DEMO_TODAY - everyone["first_session"].dt.date).map(lambda d: d.days // 7))
    assert set(made.rows["follow_up_weeks"]) <= set(weeks)


def test_an_export_without_a_pseudonym_is_refused_in_words_and_the_viewer_never_gets_one(demo_store):
    with pytest.raises(ValueError, match="Clinic pseudonym.*not set yet.*Administration"):
        safe_harbor.export(demo_store, account(demo_store, "nurse"), EVERYONE_EVER, as_of=DEMO_TODAY)
    with pytest.raises(AccessDenied):
        safe_harbor.export(demo_store, account(demo_store, "viewer"), EVERYONE_EVER, as_of=DEMO_TODAY)
    assert demo_store.execute("SELECT count(*) FROM audit_log WHERE action = 'outcomes_exported'").fetchone() == (0,)


@pytest.mark.parametrize("typed", ["", "   ", "North Clinic", "-north", "north_1", "x" * 41, "nörth"])
def test_a_pseudonym_is_letters_digits_and_dashes_and_never_empty(typed):
    with pytest.raises(ValueError, match="Clinic pseudonym"):
        DEFAULTS.changed(clinic_pseudonym=clinic_settings.typed("clinic_pseudonym", text=typed))


def test_a_pseudonym_is_not_a_rule_so_setting_it_keeps_the_rules_version():
    assert DEFAULTS.changed(clinic_pseudonym="north-1").rules_version == DEFAULTS.rules_version
    assert clinic_settings.typed("clinic_pseudonym", text=" south-2 ") == "south-2"


def test_an_empty_cohort_gives_the_same_schema_and_says_nothing_was_withheld(named_clinic):
    made = safe_harbor.export(named_clinic, account(named_clinic, "nurse"), Cohort(date(2001, 1, 1),
                                                                                  date(2001, 1, 31)), as_of=DEMO_TODAY)
    table = pq.read_table(io.BytesIO(made.parquet()))
    assert table.num_rows == 0 and table.schema.remove_metadata() == safe_harbor.COLUMNS
    assert made.metadata["rows_withheld"] == "0"


def test_the_ladder_generalises_small_groups_in_order_and_withholds_what_stays_small():
    big = [("female", "26-35", "alcohol", "iv", "2026")] * 11
    route = [("female", "26-35", "alcohol", "im", "2026")] * 3 + [("female", "26-35", "alcohol", "oral", "2026")] * 8
    year = [("male", "36-45", "cocaine", "iv", "2025")] * 6 + [("male", "36-45", "cocaine", "iv", "2026")] * 5
    alone = [("male", "65+", "opioids", "iv", "2024")]
    done = rules.generalise(big + route + year + alone)
    assert done.rows[:11] == big
    assert set(done.rows[11:22]) == {("female", "26-35", "alcohol", "any", "2026")}
    assert set(done.rows[22:33]) == {("male", "36-45", "cocaine", "any", "2025-2029")}
    assert done.rows[33] is None and done.withheld == {"small_group": 1}
    assert rules.smallest_group([r for r in done.rows if r is not None]) == 11
    assert list(done.steps.values())[:2] == [11 + 11 + 1, 11 + 1]
    with pytest.raises(ValueError, match="at least 11"):
        rules.generalise(big, minimum=5)


def test_the_result_does_not_depend_on_the_order_of_the_rows():
    rows = ([("female", "18-25", "alcohol", "iv", "2025")] * 7 + [("female", "26-35", "alcohol", "iv", "2025")] * 6
            + [("male", "46-55", "opioids", "oral", "2026")] * 12)
    forward, backward = rules.generalise(rows), rules.generalise(rows[::-1])
    assert forward.rows == backward.rows[::-1]


def test_the_age_bands_already_group_everyone_over_89_as_safe_harbor_asks():
    assert AGE_BANDS[-1] == "65+" and rules.WIDE_AGE["65+"] == "56+"
    assert rules.year_range("2026") == "2025-2029" and rules.year_range("2025-2029") == "2025-2029"
    assert rules.whole_weeks(6) == 0 and rules.whole_weeks(7) == 1


def test_no_date_in_an_export_or_its_audit_row_passes_the_export_day(named_clinic):
    """Seen in a day's use (issue 25.13): an export's dates ran past the day it was made. A cohort chosen to end
    after the export day is cut at that day, in the rows, the metadata and the audit row alike."""
    nurse = account(named_clinic, "nurse")
    export_day = DEMO_TODAY - timedelta(days=200)
    made = safe_harbor.export(named_clinic, nurse, EVERYONE_EVER, as_of=export_day)
    assert int(made.metadata["as_of_year"]) <= export_day.year
    first_years = made.rows["first_year"].dropna().map(lambda year: int(year.split("-")[0]))  # "2025-2029" when wide
    assert (first_years <= export_day.year).all() and (made.rows["follow_up_weeks"] >= 0).all()
    (detail,) = named_clinic.execute("SELECT detail FROM audit_log WHERE action = 'outcomes_exported'").fetchone()
    assert date.fromisoformat(json.loads(detail)["end"]) <= export_day
