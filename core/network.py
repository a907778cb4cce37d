"""The network's view: section-4 figures over many clinics' Safe Harbor export files, per clinic and pooled.

Pooling is the point of the export, so the network reads the files as they come, with one
DuckDB SQL over `read_parquet([...], filename = true)` and the clinic as a partition:
GROUPING SETS give every clinic's figures and the pooled ones in one pass. Every file is
checked first (readable Parquet, schema version 2, the right columns, a pseudonym of its
own, rows that name the same clinic), and any problem refuses the whole folder with the
file named, so nothing is pooled half-way.

The thirteen figures are those of core.outcomes, worked out from the per-patient columns;
a file has no date finer than the year, so the relapse curve is by whole week. Small cells
are suppressed as the de-identified view does: a group of 1 to 10 patients shows no
figure, and a figure whose n is 1 to 10 shows "fewer than 11".

    python -m core.network FOLDER
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from core.outcomes import COUNTS, FIGURES, Figure, figures_from
from core.rules.references import NOT_A_TRIAL_ARM, REFERENCE_POINTS
from core.rules.settings import DEFAULTS, PSEUDONYM, Settings
from core.safe_harbor import COLUMNS, SCHEMA_VERSION

POOLED = "Pooled"


@dataclass(frozen=True)
class ClinicFile:
    path: Path
    name: str
    """How the file is named to people: its file name, or the name it was uploaded under."""
    clinic: str
    rows: int
    withheld: int
    withheld_reasons: dict[str, int]
    as_of_year: str
    rules_version: str


@dataclass(frozen=True)
class Network:
    clinics: list[ClinicFile]
    figures: dict[str, dict[str, Figure]]
    """Clinic pseudonym (and POOLED) -> figure name -> Figure, before suppression."""
    curve: pd.DataFrame
    """The pooled time to relapse by whole week: week, at_risk, events, survival."""

    def shown(self, settings: Settings = DEFAULTS) -> dict[str, dict[str, Figure]]:
        """The figures as they may be shown: small cells suppressed, for each clinic and for the pool."""
        return {clinic: suppressed(figures, settings.small_cell_min) for clinic, figures in self.figures.items()}

    def shown_curve(self, settings: Settings = DEFAULTS) -> pd.DataFrame:
        """The weeks with at least the small-cell threshold at risk, without the week's relapse count (can be 1)."""
        kept = self.curve[self.curve["at_risk"] >= settings.small_cell_min]
        return kept.drop(columns="events").reset_index(drop=True)


def suppressed(figures: dict[str, Figure], minimum: int) -> dict[str, Figure]:
    """The de-identified view's rule (clinical-rules section 4): a group of 1 to 10 patients shows nothing; otherwise
    no figure whose n is 1 to 10."""
    small = 0 < figures["patients"].n < minimum
    return {name: Figure(None, None, True) if small or 0 < f.n < minimum else f for name, f in figures.items()}


def _connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never fetches an extension: Parquet is built in."""
    return duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


def files_in(folder: str | Path) -> list[Path]:
    """The Parquet files of a folder, or a refusal naming the folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"Folder {folder}: not found, or not a folder")
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".parquet")
    if not found:
        raise ValueError(f"Folder {folder}: holds no .parquet export file")
    return found


def check(paths: list[Path], names: list[str] | None = None) -> list[ClinicFile]:
    """Every file read and checked before any is pooled; every problem found, each with its file's name, refuses
    them all (a ValueError listing the problems)."""
    names = names or [p.name for p in paths]
    problems, checked = [], []
    with _connect() as con:
        for path, name in zip(paths, names, strict=True):
            try:
                checked.append(_check_one(con, Path(path), name))
            except ValueError as problem:
                problems.append(str(problem))
    owners: dict[str, list[str]] = {}
    for f in checked:
        owners.setdefault(f.clinic, []).append(f.name)
    for clinic, files in owners.items():
        if len(files) > 1 and len(set(files)) == 1:
            problems.append(f"{files[0]} was added twice: remove one of them")
        elif len(files) > 1:
            problems.append(f"Clinic pseudonym {clinic!r} is used by more than one file ({', '.join(files)}): each "
                            "clinic sends one file; remove the older one or ask which clinic it is")
    if problems:
        raise ValueError("Nothing was pooled.\n" + "\n".join(f"- {problem}" for problem in problems))
    if not checked:
        raise ValueError("Nothing was pooled: no export file was given")
    return checked


def _check_one(con, path: Path, name: str) -> ClinicFile:
    try:
        meta = {key.decode(): value.decode() for key, value in con.execute(
            "SELECT key, value FROM parquet_kv_metadata(?)", [str(path)]).fetchall()}
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        con.execute("SELECT * FROM read_parquet(?)", [str(path)]).fetchall()  # every page read: damage shows now
    except (duckdb.Error, UnicodeDecodeError):
        raise ValueError(f"File {name}: damaged or not a Parquet file; it cannot be read.") from None
    version = meta.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"File {name}: schema version {version or 'missing'}, but the network reads "
                         f"{SCHEMA_VERSION}; ask that clinic to export again.")
    expected = [(field.name, _duckdb_type(str(field.type))) for field in COLUMNS]
    if [(column, kind) for column, kind, *_ in described] != expected:
        raise ValueError(f"File {name}: its columns are not those of {SCHEMA_VERSION} (README, Safe Harbor export).")
    clinic = meta.get("clinic_pseudonym", "")
    count, in_rows = con.execute("SELECT count(*), list(DISTINCT clinic) FROM read_parquet(?)", [str(path)]).fetchone()
    if not PSEUDONYM.fullmatch(clinic):
        raise ValueError(f"File {name}: no clinic pseudonym in its metadata, or not one a clinic can set "
                         f"({clinic!r}).")
    if any(value != clinic for value in in_rows):
        raise ValueError(f"File {name}: rows name another clinic than its metadata ({clinic!r}).")
    try:
        reasons = json.loads(meta.get("withheld_reasons", "{}"))
        return ClinicFile(Path(path), name, clinic, count, int(meta["rows_withheld"]), reasons,
                          meta.get("as_of_year", "?"), meta.get("rules_version", "?"))
    except (ValueError, KeyError):
        raise ValueError(f"File {name}: its count of withheld rows is missing or unreadable.") from None


def _duckdb_type(arrow: str) -> str:
    return {"string": "VARCHAR", "int32": "INTEGER", "bool": "BOOLEAN", "double": "DOUBLE"}[arrow]


FIGURES_SQL = """
SELECT clinic, grouping(clinic) = 1 AS pooled,
    count(*) AS patients,
    coalesce(sum(sessions), 0) AS sessions,
    count(*) FILTER (WHERE in_course) AS course_n,
    count(*) FILTER (WHERE in_course AND sessions >= $planned) AS completed,
    count(*) FILTER (WHERE in_course AND sessions = 1) AS left_first,
    avg(days_abstinent_share) AS pda, count(days_abstinent_share) AS pda_n,
    avg(heavy_days_share) AS hdd, count(heavy_days_share) AS hdd_n,
    count(abstinent_after_course) AS eoc_n, count(*) FILTER (WHERE abstinent_after_course) AS eoc_abstinent,
    count(*) FILTER (WHERE phq9_baseline >= $phq9_min AND phq9_follow_up IS NOT NULL) AS phq9_n,
    count(*) FILTER (WHERE phq9_baseline >= $phq9_min AND phq9_follow_up IS NOT NULL
                     AND phq9_follow_up <= phq9_baseline * $phq9_drop) AS phq9_responders,
    count(*) FILTER (WHERE phq9_baseline >= $phq9_min AND phq9_follow_up IS NOT NULL
                     AND phq9_follow_up < $phq9_remission) AS phq9_remitters,
    count(*) FILTER (WHERE pcl5_baseline IS NOT NULL AND pcl5_follow_up IS NOT NULL) AS pcl5_n,
    count(*) FILTER (WHERE pcl5_baseline IS NOT NULL AND pcl5_follow_up IS NOT NULL
                     AND pcl5_follow_up <= pcl5_baseline - $pcl5_drop) AS pcl5_changed,
    sum(craving_change * craving_sessions) FILTER (WHERE craving_sessions > 0)
        / nullif(sum(craving_sessions), 0) AS craving,
    coalesce(sum(craving_sessions), 0) AS craving_n,
    coalesce(sum(adverse_events), 0) AS events,
    coalesce(sum(severe_htn_sessions), 0) AS severe_sessions
FROM read_parquet($files, filename = true)
GROUP BY GROUPING SETS ((clinic), ())
ORDER BY pooled, clinic
"""
"""Each figure as core.outcomes defines it, from the per-patient columns: a share of patients is a count over a
count, a mean over patients an avg, and a mean over sessions (craving) the patients' means weighted by their
sessions."""

CURVE_SQL = """
WITH times AS (SELECT relapse_week AS week, relapsed FROM read_parquet($files, filename = true)),
event_weeks AS (SELECT week, count(*) AS events FROM times WHERE relapsed GROUP BY week),
curve AS (SELECT e.week, (SELECT count(*) FROM times t WHERE t.week >= e.week) AS at_risk, e.events
          FROM event_weeks e)
SELECT week, at_risk, events, product(1 - events / at_risk) OVER (ORDER BY week) AS survival FROM curve ORDER BY week
"""
"""The Kaplan-Meier estimate of section 4 with the week as the unit: a patient censored in a week is still at risk
for that week's relapses."""


def pool(files: list[ClinicFile], settings: Settings = DEFAULTS) -> Network:
    """The figures of checked files (see check), per clinic and pooled, worked out under the network's thresholds."""
    params = {"files": [str(f.path) for f in files], "planned": settings.planned_course_sessions,
              "phq9_min": settings.phq9_baseline_min, "phq9_drop": settings.phq9_response_drop,
              "phq9_remission": settings.phq9_remission_below, "pcl5_drop": settings.pcl5_meaningful_drop}
    with _connect() as con:
        cur = con.execute(FIGURES_SQL, params)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        curve = con.execute(CURVE_SQL, {"files": params["files"]}).df()
    figures = {POOLED if r["pooled"] else r["clinic"]: figures_from(r) for r in rows}
    return Network(files, figures, curve)


def read(folder: str | Path) -> Network:
    """A folder of export files checked, then pooled: the command's and a script's one call."""
    return pool(check(files_in(folder)))


WORDS = {
    "patients": "Patients", "sessions": "Dosing sessions", "completed_course": "Completed the course",
    "left_after_first": "Left after session 1", "pda": "Days abstinent", "heavy_drinking_days": "Heavy drinking days",
    "end_of_course_abstinence": "Abstinent after the course", "phq9_response": "PHQ-9 response",
    "phq9_remission": "PHQ-9 remission", "pcl5_meaningful_change": "PCL-5 clearly lower",
    "craving_change_per_session": "Craving change per session", "ae_per_session": "Adverse events per session",
    "severe_htn_per_session": "Severe high blood pressure",
}
"""The figures' names as the Outcomes page shows them, for a terminal (core does not import the page's labels)."""


def value_text(name: str, f: Figure, minimum: int = DEFAULTS.small_cell_min) -> str:
    if f.suppressed:
        return f"fewer than {minimum}"
    if f.value is None:
        return "no data"
    if name in COUNTS:
        return f"{f.value:,.0f}"
    if name == "craving_change_per_session":
        return f"{f.value:+.1f} points (n={f.n})"
    if name == "ae_per_session":
        return f"{f.value:.2f} (n={f.n})"
    return f"{f.value:.1%} (n={f.n})"


def report(network: Network, settings: Settings = DEFAULTS) -> str:
    """The network's figures as text: the files, then each figure per clinic and pooled, then the references."""
    lines = ["Clinics:"]
    for f in network.clinics:
        lines.append(f"  {f.clinic} ({f.name}): {f.rows} patients, {f.withheld} withheld for small groups, "
                     f"as of {f.as_of_year}, rules version {f.rules_version}")
    shown = network.shown(settings)
    columns = [*sorted(c for c in shown if c != POOLED), POOLED]
    cells = [["Figure", *columns]] + [[WORDS[name], *(value_text(name, shown[c][name], settings.small_cell_min)
                                                      for c in columns)] for name in FIGURES]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines += ["", *("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                    for row in cells)]
    k = settings.small_cell_min
    lines += ["", f'Groups of fewer than {k} patients are shown as "fewer than {k}".', "",
              "Published reference points:"]
    lines += [f"  {WORDS[p.figure]}: {p.finding} ({p.citation})" for p in REFERENCE_POINTS]
    lines += ["", NOT_A_TRIAL_ARM]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.network",
                                     description="Pool a folder of Safe Harbor export files from many clinics.")
    parser.add_argument("folder", help="folder holding one .parquet export file per clinic")
    args = parser.parse_args(argv)
    try:
        network = read(args.folder)
    except ValueError as refused:
        print(refused, file=sys.stderr)
        return 1
    print(report(network))
    return 0


if __name__ == "__main__":
    sys.exit(main())
