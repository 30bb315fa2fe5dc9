"""The CLI reads JSON from a file or stdin and prints the public contract; malformed input fails clearly."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tariffstack.cli import app

runner = CliRunner()
LINE = {"hts": "6203.42.4511", "origin": "CA", "entry_date": "2025-08-01", "value": "100000"}


def _env(settings) -> dict[str, str]:
    return {"TARIFFSTACK_STORE_DIR": str(settings.store_dir)}


def test_calc_from_stdin(settings, store) -> None:
    result = runner.invoke(app, ["calc", "-"], input=json.dumps([LINE]), env=_env(settings))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out[0]["total_duty"] == "51600.00"
    assert out[0]["owed_duty"] == "16600.00"
    assert out[0]["refundable"] == "35000.00"
    assert out[0]["effective_rate"] == "51.6000"
    assert out[0]["headings"] == ["9903.01.10", "9903.01.26"]
    first = out[0]["lines"][0]
    assert first["heading"] == "9903.01.10" and first["rate"] == "35%" and first["amount"] == "35000.00"
    assert "EO 14325" in first["reference"]["citation"]


def test_calc_from_file_single_object(settings, store, tmp_path: Path) -> None:
    path = tmp_path / "line.json"
    path.write_text(json.dumps(LINE))
    result = runner.invoke(app, ["calc", str(path), "--compact"], env=_env(settings))
    assert result.exit_code == 0
    assert json.loads(result.stdout)[0]["total_duty"] == "51600.00"


def test_malformed_json_names_the_input(settings) -> None:
    result = runner.invoke(app, ["calc", "-"], input='[{"hts": "6203.42.4511",', env=_env(settings))
    assert result.exit_code == 2
    assert "input: malformed JSON at line 1" in result.stderr


def test_explain_prints_the_table(settings, store) -> None:
    args = ["explain", "--hts", "6203.42.4511", "--date", "2025-08-01", "--value", "100000"]
    result = runner.invoke(app, args, env=_env(settings))
    assert result.exit_code == 0, result.output
    for text in ("Data", "Calculation", "Value", "9903.01.10", "35% × 100000.00", "51600.00", "16600.00"):
        assert text in result.stdout


def test_lint_passes(settings, store) -> None:
    result = runner.invoke(app, ["lint"], env=_env(settings))
    assert result.exit_code == 0, result.stderr
    assert "0 issue(s)" in result.stderr
