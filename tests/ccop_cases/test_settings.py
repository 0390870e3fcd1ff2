"""Start-up validation: unknown variables, bad values and missing keys fail closed, in French."""

from __future__ import annotations

from dataclasses import replace

import pytest
from apptest import with_settings
from click.testing import CliRunner

from ccop_cases.cli import main
from ccop_cases.settings import Settings, SettingsError


def test_defaults_are_production_with_sqlite_in_instance(tmp_path):
    s = Settings.from_env({"CCOP_INSTANCE_DIR": str(tmp_path)})
    assert s.env == "production" and s.secure_cookies and s.log_format == "json"
    assert s.database_url == f"sqlite:///{tmp_path / 'ccop.sqlite3'}"
    assert s.key_dir == tmp_path / "keys"


def test_without_variables_the_settings_are_the_class_defaults():
    built = Settings.from_env({})  # each default is written once, on the class
    assert built == replace(Settings(), database_url=built.database_url)


@pytest.mark.parametrize("environ,message", [
    ({"CCOP_DATABSE_URL": "x"}, "CCOP_DATABSE_URL"),
    ({"CCOP_ENV": "prod"}, "CCOP_ENV"),
    ({"CCOP_SESSION_IDLE_MINUTES": "-5"}, "entier positif"),
    ({"CCOP_SESSION_MAX_HOURS": "douze"}, "entier positif"),
    ({"CCOP_LOG_FORMAT": "xml"}, "CCOP_LOG_FORMAT"),
    ({"CCOP_SECURE_COOKIES": "yes"}, "0 ou 1"),
    ({"CCOP_KEY_PROVIDER": "vault"}, "CCOP_KEY_PROVIDER doit valoir file ou pkcs11"),
    ({"CCOP_KEY_PROVIDER": "pkcs11"}, "demande aussi CCOP_PKCS11_MODULE, CCOP_PKCS11_TOKEN, CCOP_PKCS11_PIN_FILE"),
    ({"CCOP_KEY_PROVIDER": "pkcs11", "CCOP_PKCS11_MODULE": "/m.so", "CCOP_PKCS11_TOKEN": "t"},
     r"demande aussi CCOP_PKCS11_PIN_FILE\.$"),
])
def test_bad_variables_are_refused_with_a_clear_message(environ, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(environ)


def test_settings_are_frozen(settings):
    with pytest.raises(AttributeError):
        settings.env = "production"  # type: ignore[misc]


def test_app_refuses_to_start_without_keys(settings, tmp_path, new_app):
    with pytest.raises(SettingsError, match="ccop keys init"):
        new_app(with_settings(settings, key_dir=tmp_path / "absent"))


def test_cli_start_up_error_is_clear_and_non_zero(tmp_path):
    env = {"CCOP_INSTANCE_DIR": str(tmp_path), "CCOP_ENV": "test"}
    result = CliRunner().invoke(main, ["users", "create", "quelqun"], env=env)
    assert result.exit_code != 0
    assert "Configuration invalide" in result.output and "ccop keys init" in result.output
    assert "Traceback" not in result.output


def test_cli_unknown_variable_is_clear_and_non_zero(tmp_path):
    env = {"CCOP_INSTANCE_DIR": str(tmp_path), "CCOP_TYPO": "1"}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code != 0 and "CCOP_TYPO" in result.output


def test_keys_init_creates_private_files_and_refuses_to_overwrite(tmp_path):
    env = {"CCOP_INSTANCE_DIR": str(tmp_path)}
    first = CliRunner().invoke(main, ["keys", "init"], env=env)
    assert first.exit_code == 0, first.output
    key_dir = tmp_path / "keys"
    assert oct(key_dir.stat().st_mode & 0o777) == "0o700"
    files = sorted(p for p in key_dir.iterdir() if p.is_file())
    assert files and all(oct(p.stat().st_mode & 0o777) == "0o600" for p in files)
    before = {p.name: p.read_bytes() for p in files}
    second = CliRunner().invoke(main, ["keys", "init"], env=env)
    assert second.exit_code != 0 and "Rien n'a été modifié" in second.output
    assert {p.name: p.read_bytes() for p in key_dir.iterdir() if p.is_file()} == before


def test_app_refuses_to_start_when_the_canary_does_not_decrypt(settings, tmp_path, new_app):
    import shutil
    broken = tmp_path / "keys"
    shutil.copytree(settings.key_dir, broken)
    (broken / "root.key").write_bytes(b"\x00" * 32)  # another root: the canary fails
    with pytest.raises(SettingsError, match="illisibles"):
        new_app(with_settings(settings, key_dir=broken))


def test_app_refuses_to_start_when_a_key_file_is_missing(settings, tmp_path, new_app):
    import shutil
    broken = tmp_path / "keys"
    shutil.copytree(settings.key_dir, broken)
    next(broken.glob("kek-*.key")).unlink()
    with pytest.raises(SettingsError, match="illisibles"):
        new_app(with_settings(settings, key_dir=broken))


@pytest.mark.parametrize("content,mode,message", [
    ("1234\n", 0o644, "lisible par d’autres que son propriétaire : chmod 600"),
    ("\n", 0o600, "est vide"),
    (None, 0o600, "illisible"),
])
def test_a_token_pin_file_that_is_open_empty_or_missing_stops_the_start(settings, tmp_path, new_app, content, mode,
                                                                       message):
    pin = tmp_path / "token.pin"
    if content is not None:
        pin.write_text(content, encoding="utf-8")
        pin.chmod(mode)
    token = with_settings(settings, key_provider="pkcs11", pkcs11_module="/nowhere/libsofthsm2.so",
                          pkcs11_token="ccop", pkcs11_pin_file=str(pin))
    with pytest.raises(SettingsError, match=message) as refused:
        new_app(token)
    assert "1234" not in str(refused.value)  # the PIN itself is never said
