"""The standalone verifier's command line: output lines, exit codes, and that it stands alone."""

import base64
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import audit
from audit.verify_audit_export import main


def test_valid_bundle_exits_0_with_a_summary(export, capsys) -> None:
    assert main(["--key", export.public_key.hex(), str(export.path)]) == 0
    assert capsys.readouterr().out.startswith("VALID: 9 entries")


def test_tampered_bundle_exits_1_with_one_line_per_problem(export, capsys) -> None:
    lines = export.lines()
    lines[2] = lines[2].replace(b"S-2026-0003", b"S-2026-0004")
    export.write_lines(lines)
    assert main(["--key", export.public_key.hex(), str(export.path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "seq 3: hash_mismatch: entry content does not match its hash"
    assert out[1].startswith("seq -: file_hash_mismatch:")
    assert out[-1].startswith("TAMPERED:")


def test_pin_beyond_the_bundle_exits_2(export, capsys) -> None:
    pin = f"99:{'ab' * 32}"
    assert main(["--key", export.public_key.hex(), "--pin", pin, str(export.path)]) == 2
    assert "seq 99: pin_not_covered:" in capsys.readouterr().out


def test_pin_of_an_earlier_checkpoint_is_accepted_in_hex(export) -> None:
    pin = f"{export.checkpoints[0].size}:{export.checkpoints[0].head.hex()}"
    assert main(["--key", export.public_key.hex(), "--pin", pin, str(export.path)]) == 0


@pytest.mark.parametrize("form", ["base64", "file"])
def test_key_may_be_base64_or_a_file_holding_it(export, tmp_path, form: str) -> None:
    text = base64.b64encode(export.public_key).decode()
    if form == "file":
        (tmp_path / "key.txt").write_text(text + "\n")
        text = str(tmp_path / "key.txt")
    assert main(["--key", text, str(export.path)]) == 0


@pytest.mark.parametrize("argv", [
    [],
    ["--key", "zz", "."],
    ["--key", "ab" * 31, "."],
    ["--key", "ab" * 32],
    ["--key", "ab" * 32, "--pin", "five:abc", "."],
    ["--key", "ab" * 32, "/nonexistent/bundle"],
    ["--unknown-flag", "."],
])
def test_bad_usage_exits_3(argv: list[str], capsys) -> None:
    assert main(argv) == 3
    assert capsys.readouterr().err


def test_help_exits_0(capsys) -> None:
    assert main(["--help"]) == 0
    assert "exit status" in capsys.readouterr().out


def test_verifier_file_runs_alone_when_copied_to_an_empty_directory(export, tmp_path) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(Path(audit.__file__).with_name("verify_audit_export.py"), alone)
    result = subprocess.run(  # noqa: S603 (fixed argv: this interpreter, a copied file)
        [sys.executable, "-I", "verify_audit_export.py", "--key", export.public_key.hex(),
         str(export.path)],
        cwd=alone, capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("VALID: 9 entries")


def test_problems_beyond_the_cap_are_counted_not_listed(export, capsys, monkeypatch) -> None:
    monkeypatch.setattr("audit.verify_audit_export.MAX_REPORTED", 2)
    export.write_lines([line.replace(b'"case.read"', b'"case.xxxx"') for line in export.lines()])
    assert main(["--key", export.public_key.hex(), str(export.path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[2] == "... and 6 more problems not shown"
    assert "8 problem(s), first at seq 1 (hash_mismatch)" in out[3]
