"""The network's view (issue item 3): three synthetic clinics pooled from their export files equal the figures the
clinics' own databases give for the same patients; a folder with a bad file is refused by name, whole."""

import shutil
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core import clinic_settings, db, demo, network, outcomes, safe_harbor
from core.access import User
from core.outcomes import COUNTS, FIGURES, Cohort
from core.rules import safe_harbor as rules
from tests.conftest import DEMO_TODAY

EVERYONE_EVER = Cohort(date(2000, 1, 1), DEMO_TODAY)
CLINICS = (("north-1", 150, 11), ("south-2", 120, 22), ("east-3", 100, 33))
"""Pseudonym, patients, demo seed: three clinics of different sizes from different random streams."""


def account(con, username: str) -> User:
    return User(*con.execute("SELECT id, username, display_name, role FROM users WHERE username = ?",
                             [username]).fetchone())


def leave_out_withheld(con, staff: User) -> int:
    """Move the withheld patients' sessions past the cut-off day, so the clinic's own figures cover exactly the
    patients in its file. Which rows are withheld is worked out again here from the rules, on the clinic's rows."""
    everyone = outcomes.patients_behind(con, staff, EVERYONE_EVER, "patients", as_of=DEMO_TODAY)
    keys = [(r.sex, r.age_band, r.primary_substance, r.first_route, str(r.first_session.year))
            for r in everyone.itertuples()]
    withheld = [int(pid) for pid, row in zip(everyone["patient_id"], rules.generalise(keys).rows, strict=True)
                if row is None]
    con.execute("UPDATE dosing_sessions SET started_at = started_at + INTERVAL 100 YEAR, "
                "discharged_at = discharged_at + INTERVAL 100 YEAR WHERE list_contains(?, patient_id)", [withheld])
    return len(withheld)


@pytest.fixture(scope="module")
def three_clinics(tmp_path_factory):
    """Each clinic's export file in one folder, and each clinic's own figures and relapse times for the patients in
    its file (as its staff see them, unsuppressed)."""
    folder = tmp_path_factory.mktemp("network")
    direct, times, withheld = {}, [], {}
    for pseudonym, patients, seed in CLINICS:
        con = db.open_store(tmp_path_factory.mktemp(pseudonym) / "clinic.duckdb")
        demo.build(con, patients, seed, today=DEMO_TODAY)
        clinic_settings.save(con, account(con, "admin"), "clinic_pseudonym", pseudonym, "agreed with the network")
        staff = account(con, "prescriber")
        made = safe_harbor.export(con, staff, EVERYONE_EVER, as_of=DEMO_TODAY)
        (folder / f"{pseudonym}.parquet").write_bytes(made.parquet())
        withheld[pseudonym] = leave_out_withheld(con, staff)
        assert withheld[pseudonym] == made.withheld
        direct[pseudonym] = outcomes.figures(con, staff, EVERYONE_EVER, as_of=DEMO_TODAY)
        rows = outcomes.patients_behind(con, staff, EVERYONE_EVER, "patients", as_of=DEMO_TODAY)
        times += [(int(day) // 7, bool(event)) for day, event in zip(rows["relapse_day"], rows["relapsed"],
                                                                     strict=True)]
        con.close()
    return folder, direct, times, withheld


def pooled_directly(direct: dict) -> dict:
    """Each figure over all three clinics' patients: a count summed, anything else the clinics' values weighted by
    their n (a mean over patients or sessions, or a share, is its total over its n)."""
    pooled = {}
    for name in FIGURES:
        n = sum(figures[name].n for figures in direct.values())
        if name in COUNTS:
            pooled[name] = (sum(figures[name].value for figures in direct.values()), n)
        else:
            total = sum(figures[name].value * figures[name].n for figures in direct.values() if figures[name].n)
            pooled[name] = (total / n if n else None, n)
    return pooled


def test_the_network_over_three_clinics_equals_the_figures_of_the_same_patients_worked_out_directly(three_clinics):
    folder, direct, _times, withheld = three_clinics
    pooled = network.read(folder)
    assert [f.clinic for f in pooled.clinics] == ["east-3", "north-1", "south-2"]
    assert {f.clinic: f.withheld for f in pooled.clinics} == withheld
    for clinic, figures in direct.items():
        for name in FIGURES:
            got = pooled.figures[clinic][name]
            assert (got.value, got.n) == (pytest.approx(figures[name].value), figures[name].n), (clinic, name)
    for name, (value, n) in pooled_directly(direct).items():
        got = pooled.figures[network.POOLED][name]
        assert (got.value, got.n) == (pytest.approx(value), n), name
    assert pooled.figures[network.POOLED]["patients"].value == sum(f.rows for f in pooled.clinics)
    print("\n" + network.report(pooled))


def test_the_pooled_relapse_curve_is_the_kaplan_meier_estimate_by_whole_week(three_clinics):
    folder, _direct, times, _withheld = three_clinics
    curve = network.read(folder).curve
    survival, expected = 1.0, []
    for week in sorted({w for w, event in times if event}):
        at_risk = sum(1 for w, _ in times if w >= week)
        events = sum(1 for w, event in times if event and w == week)
        survival *= 1 - events / at_risk
        expected.append([week, at_risk, events, pytest.approx(survival)])
    assert curve.values.tolist() == expected


def test_small_cells_show_as_fewer_than_11_per_clinic_and_pooled(three_clinics):
    folder, *_ = three_clinics
    pooled = network.read(folder)
    shown = pooled.shown()
    for clinic, figures in pooled.figures.items():
        for name, f in figures.items():
            assert shown[clinic][name].suppressed == (0 < f.n < 11 or 0 < figures["patients"].n < 11)
    assert (pooled.shown_curve()["at_risk"] >= 11).all() and "events" not in pooled.shown_curve()


def test_the_command_prints_each_clinic_the_pool_and_the_published_reference_points(three_clinics, capsys):
    folder, *_ = three_clinics
    assert network.main([str(folder)]) == 0
    out = capsys.readouterr().out
    assert "east-3" in out and "north-1" in out and "south-2" in out and "Pooled" in out
    assert "Dakwar E, et al." in out and "withheld for small groups" in out


def refused(folder, capsys) -> str:
    """The command's refusal: exit status 1, no figure printed, the reason on stderr."""
    assert network.main([str(folder)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("Nothing was pooled.")
    return err


def copy_of(folder, tmp_path):
    target = tmp_path / "exports"
    shutil.copytree(folder, target)
    return target


def test_a_file_of_another_schema_version_is_refused_by_name(three_clinics, tmp_path, capsys):
    folder = copy_of(three_clinics[0], tmp_path)
    table = pq.read_table(folder / "north-1.parquet")
    older = table.replace_schema_metadata({**table.schema.metadata, b"schema_version": b"clinic-outcomes/1"})
    pq.write_table(older, folder / "west-4.parquet")
    pq.write_table(pa.table({"patient_key": ["ab" * 16]}), folder / "version-one.parquet")
    err = refused(folder, capsys)
    assert "File west-4.parquet: schema version clinic-outcomes/1" in err
    assert "File version-one.parquet: schema version missing" in err


def test_a_damaged_file_is_refused_by_name(three_clinics, tmp_path, capsys):
    folder = copy_of(three_clinics[0], tmp_path)
    whole = (folder / "south-2.parquet").read_bytes()
    (folder / "south-2.parquet").write_bytes(whole[: len(whole) // 2] + whole[-8:])
    assert "File south-2.parquet: damaged or not a Parquet file" in refused(folder, capsys)


def test_a_pseudonym_used_twice_is_refused_naming_both_files(three_clinics, tmp_path, capsys):
    folder = copy_of(three_clinics[0], tmp_path)
    shutil.copy(folder / "east-3.parquet", folder / "east-3-again.parquet")
    err = refused(folder, capsys)
    assert "'east-3' is used by more than one file (east-3-again.parquet, east-3.parquet)" in err


def test_every_problem_is_named_at_once_and_an_empty_or_missing_folder_is_refused(three_clinics, tmp_path):
    folder = copy_of(three_clinics[0], tmp_path)
    (folder / "notes.parquet").write_bytes(b"not parquet at all")
    shutil.copy(folder / "north-1.parquet", folder / "north-1-copy.parquet")
    with pytest.raises(ValueError) as problem:
        network.read(folder)
    assert "notes.parquet" in str(problem.value) and "'north-1' is used by more than one file" in str(problem.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no .parquet export file"):
        network.read(tmp_path / "empty")
    with pytest.raises(ValueError, match="not found"):
        network.read(tmp_path / "nowhere")


def test_one_file_added_twice_is_named_as_such_and_each_problem_is_on_a_line_of_its_own(three_clinics, tmp_path):
    """The uploader adds to the files already there, so one export can come twice: 'remove the older one' means
    nothing when both entries read the same."""
    folder = copy_of(three_clinics[0], tmp_path)
    (folder / "notes.parquet").write_bytes(b"not parquet at all")
    paths = [folder / "east-3.parquet", folder / "east-3.parquet", folder / "notes.parquet"]
    with pytest.raises(ValueError) as problem:
        network.check(paths)
    said = str(problem.value)
    assert "east-3.parquet was added twice: remove one of them" in said and "used by more than one file" not in said
    lines = said.splitlines()
    assert lines[0] == "Nothing was pooled." and len(lines) == 3 and all(line.startswith("- ") for line in lines[1:])
