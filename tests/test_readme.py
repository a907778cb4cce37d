from pathlib import Path

ROOT = Path(__file__).parents[1]


def readme_test_command() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = [b.split("```", 1)[0].strip() for b in text.split("```bash")[1:]]
    return next(b for b in blocks if "pytest" in b)


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_test_command() in ci_lines
