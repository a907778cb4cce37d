"""Safe defaults for a deployment: local binding, no error details, XSRF, no usage statistics, private files."""

import tomllib
from pathlib import Path

from core import db

ROOT = Path(__file__).parents[2]


def test_the_server_config_is_hardened():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["disableDataExport"] is True


def test_the_database_file_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "clinic.duckdb"
    con = db.open_store(path)
    con.close()
    path.chmod(0o644)
    db.open_store(path).close()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
