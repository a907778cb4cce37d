"""A new user's first visit: the demo database is built once, in its own thread, while every visitor is shown how far
it is; the sign-in screen follows by itself."""

import threading

from streamlit.testing.v1 import AppTest

from core import db, demo, first_start
from tests.pages.conftest import ROOT, all_text
from ui import store


def new_database(tmp_path, monkeypatch, patients=40):
    path = tmp_path / "new" / "clinic.duckdb"
    path.parent.mkdir()
    monkeypatch.setenv("CLINIC_DB", str(path))
    monkeypatch.setenv("CLINIC_DEMO", "1")
    monkeypatch.setattr(first_start, "DEMO_PATIENTS", patients)
    return path


def test_a_first_visit_builds_the_demo_and_ends_on_the_sign_in_screen(tmp_path, monkeypatch):
    path = new_database(tmp_path, monkeypatch)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert [h.value for h in at.title] == ["Sign in"] and "demo-nurse-2026" in all_text(at)
    assert "Synthetic demo data." in at.warning[0].value
    assert not at.get("progress") and "Preparing the demo clinic" not in all_text(at)  # gone once it is built
    steps = store._opening().steps()
    assert [step for step, *_ in steps] == ["Creating the database", "Creating the demo accounts",
                                            "Adding synthetic patients", "Saving the synthetic patients"]
    assert all(done == total for _, done, total in steps)
    con = store.clinic().con
    assert store.clinic().demo and con.execute("SELECT count(*) FROM patients").fetchone()[0] == 40
    assert path.exists()


def test_two_visitors_at_once_wait_for_one_build_and_both_see_its_progress(tmp_path, monkeypatch):
    new_database(tmp_path, monkeypatch)
    real_build, builds = demo.build, []
    building, release = threading.Event(), threading.Event()
    watchers, both_watching = set(), threading.Event()
    real_steps = store.Opening.steps

    def held_build(*args, **kwargs):
        builds.append(threading.current_thread().name)
        building.set()
        assert release.wait(60), "both visitors never watched the build"
        return real_build(*args, **kwargs)

    def watched_steps(self):
        watchers.add(threading.current_thread().ident)  # each visitor's script run asks from its own thread
        if len(watchers) == 2:
            both_watching.set()
        return real_steps(self)

    monkeypatch.setattr(demo, "build", held_build)
    monkeypatch.setattr(store.Opening, "steps", watched_steps)
    visitors = [AppTest.from_file(str(ROOT / "app.py"), default_timeout=60) for _ in range(2)]
    runs = [threading.Thread(target=visitor.run) for visitor in visitors]
    for run in runs:
        run.start()
    assert both_watching.wait(60), "a visitor did not wait behind the progress display"
    assert building.wait(60)
    assert len(builds) == 1  # the second visitor is waiting on the first one's build, not starting its own
    release.set()
    for run in runs:
        run.join(90)
    for visitor in visitors:
        assert not visitor.exception
        assert [h.value for h in visitor.title] == ["Sign in"] and "demo-nurse-2026" in all_text(visitor)
    assert builds == ["clinic-opening"]  # built once, in the opening thread, not in a visitor's script run
    con = store.clinic().con
    assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'demo_seeded'").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM patients").fetchone()[0] == 40


def test_an_existing_database_is_opened_without_the_first_start_display(page):
    at = page("app.py")
    assert not at.exception and [h.value for h in at.title] == ["Sign in"]
    assert not store._opening().builds_demo and not at.get("progress")


def test_a_database_that_cannot_be_opened_is_tried_again_on_the_next_visit(tmp_path, monkeypatch):
    path = tmp_path / "later" / "clinic.duckdb"
    monkeypatch.setenv("CLINIC_DB", str(path))
    monkeypatch.setenv("CLINIC_DEMO", "0")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert f"Cannot open the clinic database at {path}" in at.error[0].value
    path.parent.mkdir()  # the folder made meanwhile: the next visit opens the database without a restart
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.error and [h.value for h in at.title] == ["Sign in"]
    assert db.is_demo(store.clinic().con) is False
