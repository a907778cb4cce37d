"""One date format everywhere (issue 25.14): tables showed "7 Dec 2026" where text showed "07 Dec 2026", and a
message "born 1988-03-14". Every date a person reads is written day, month in words, year: "07 Dec 2026"."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
SHOWN = [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py"]


def test_every_table_writes_a_date_as_dd_mmm_yyyy():
    formats = {m for path in SHOWN for m in re.findall(r'Column\([^)]*format="([^"]*)"', path.read_text())}
    dated = {f for f in formats if "YYYY" in f}
    assert dated and all("DD MMM YYYY" in f for f in dated), dated


def test_no_message_writes_a_date_in_iso_form():
    """A file for a spreadsheet (the Audit log's CSV) keeps ISO times; what is shown on screen does not."""
    iso = []
    for path in SHOWN:
        tree = ast.parse(path.read_text())
        files = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "csv"
                 for n in ast.walk(f)}
        iso += [f"{path.name}:{n.lineno}" for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and "%Y-%m-%d" in n.value
                and id(n) not in files]
    assert iso == []
