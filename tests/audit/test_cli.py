"""The standalone verifier's command line: output lines, exit codes, and that it stands alone."""

import base64
import json
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


def test_item7_pin_beyond_an_export_that_stops_before_the_head_exits_2(export, capsys) -> None:
    manifest = json.loads((export.path / "manifest.json").read_bytes())
    assert manifest["head_size"] == "9"
    pin = f"10:{'ab' * 32}"  # the log had 9 entries at export: 10 would be a cut
    assert main(["--key", export.public_key.hex(), "--pin", pin, str(export.path)]) == 1
    assert "seq 10: truncated_before_pin:" in capsys.readouterr().out


def test_pin_of_an_earlier_checkpoint_is_accepted_in_hex(export) -> None:
    pin = f"{export.checkpoints[0].size}:{export.checkpoints[0].head.hex()}"
    assert main(["--key", export.public_key.hex(), "--pin", pin, str(export.path)]) == 0


@pytest.mark.parametrize("form", ["base64", "file", "spaces", "0x"])
def test_item8_key_other_than_64_hex_digits_is_a_usage_error(export, tmp_path, capsys,
                                                             form: str) -> None:
    text = {"base64": base64.b64encode(export.public_key).decode(),
            "file": str(tmp_path / "key.txt"), "spaces": f" {export.public_key.hex()}\n",
            "0x": "0x" + export.public_key.hex()}[form]
    (tmp_path / "key.txt").write_text(export.public_key.hex() + "\n")
    assert main(["--key", text, str(export.path)]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "64 hexadecimal digits" in captured.err


@pytest.mark.parametrize("options", [["--ke", "{key}"], ["--key", "{other}", "--key", "{key}"],
                                     ["--key", "{key}", "--pin", "0:{zero}", "--pin", "0:{zero}"]],
                         ids=["abbreviated", "key_twice", "pin_twice"])
def test_c3_an_option_abbreviated_or_given_twice_is_a_usage_error(export, capsys, options: list[str]) -> None:
    values = {"key": export.public_key.hex(), "other": "ab" * 32, "zero": "00" * 32}
    assert main([o.format(**values) for o in options] + [str(export.path)]) == 3
    assert capsys.readouterr().out == ""


def test_key_in_upper_case_hex_is_the_same_key(export) -> None:
    assert main(["--key", export.public_key.hex().upper(), str(export.path)]) == 0


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
