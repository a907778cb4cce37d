"""The import direction the architecture promises: rules know no store, core knows no Streamlit."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "core" / "rules").glob("*.py")), ids=lambda p: p.name)
def test_rules_import_only_the_standard_library_and_other_rules(path):
    outside = {m for m in imported_modules(path)
               if m.split(".")[0] in {"duckdb", "pandas", "streamlit", "altair", "core"}
               and not m.startswith("core.rules")}
    assert outside == set()


@pytest.mark.parametrize("path", sorted((ROOT / "core").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_never_imports_streamlit_or_ui(path):
    assert not {m for m in imported_modules(path) if m.split(".")[0] in {"streamlit", "ui", "pages"}}
