"""The service on each key provider (issue 18): the key directory and a PKCS#11 token (SoftHSMv2)
run the same journey — ``ccop keys init|status|rotate``, a situation proposed, read, closed
(its key rewrapped), the turn of the month — and no byte of the store's keys (KEKs, root,
epoch secrets and what the ratchet derives from them) reaches the database, the logs or the
commands' output. The PKCS#11 half is skipped, with the reason, where SoftHSMv2 is missing."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apptest import KEYS_EPOCH, audit_bodies, drop_schema, migrated_database, post, raw_database_bytes
from casetest import coordinator_with_a_case
from click.testing import CliRunner

from ccop_cases.cli import main
from ccop_cases.identities import services as identities
from ccop_cases.identities.models import DataKeyRecord
from ccop_cases.settings import Settings
from crypto import epochs
from crypto.testing import key_values, recording_key_source, softhsm_missing, softhsm_token

PROVIDERS = ["file", pytest.param("pkcs11", marks=pytest.mark.skipif(
    softhsm_missing() is not None, reason=f"PKCS#11 provider not tested: {softhsm_missing()}"))]


def _env(settings: Settings) -> dict[str, str]:
    """The CCOP_* variables of these settings, for a command run before any app exists."""
    env = {"CCOP_ENV": "test", "CCOP_INSTANCE_DIR": str(settings.instance_dir),
           "CCOP_DATABASE_URL": settings.database_url, "CCOP_KEY_PROVIDER": settings.key_provider}
    if settings.key_provider == "pkcs11":
        env |= {"CCOP_PKCS11_MODULE": settings.pkcs11_module, "CCOP_PKCS11_TOKEN": settings.pkcs11_token,
                "CCOP_PKCS11_PIN_FILE": settings.pkcs11_pin_file}
    else:
        env["CCOP_KEY_DIR"] = str(settings.key_dir)
    return env


@pytest.fixture
def store(request, settings: Settings, tmp_path: Path) -> Settings:
    """Settings naming a key store of this test's own on the provider, not yet created, and a
    database of its own (committed: its raw bytes are searched)."""
    if request.param == "pkcs11":
        module, label, pin = softhsm_token(tmp_path / "hsm")
        pin_file = tmp_path / "token.pin"
        pin_file.write_text(pin + "\n", encoding="utf-8")
        pin_file.chmod(0o600)
        made = replace(settings, key_provider="pkcs11", pkcs11_module=module, pkcs11_token=label,
                       pkcs11_pin_file=str(pin_file), key_dir=tmp_path / "no-keys-here")
    else:
        made = replace(settings, key_dir=tmp_path / "keys")
    url, owner_url, schema = migrated_database(tmp_path)
    yield replace(made, database_url=url, migration_database_url=owner_url)
    if schema:
        drop_schema(schema)


def _store_keys(settings: Settings, recorded: list[bytes]) -> list[bytes]:
    """Every key byte string of the store: the recorded token keys, or the directory's files;
    with, for each epoch secret, the secrets and wrap keys the ratchet derives (ten years)."""
    if settings.key_provider == "pkcs11":
        keys = list(recorded)
    else:
        folder = settings.key_dir
        keys = [path.read_bytes() for path in folder.glob("*.key")]
        keys.append(bytes.fromhex(json.loads((folder / "epoch.json").read_text("utf-8"))["secret"]))
    derived = []
    for secret in keys:
        for _ in range(120):
            derived.append(epochs.wrap_key(secret))
            secret = epochs.next_secret(secret)
            derived.append(secret)
    return keys + derived


def _forms(key: bytes) -> list[bytes]:
    return [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key),
            base64.urlsafe_b64encode(key), base64.b64encode(key).rstrip(b"=")]


@pytest.mark.parametrize("store", PROVIDERS, indirect=True)
def test_the_journey_runs_on_the_provider_and_no_key_byte_leaves_the_store(store: Settings, new_app, clock,
                                                                           tmp_path: Path, capfd) -> None:
    recorded: list[bytes] = []
    with key_values(recording_key_source(recorded)):
        created = CliRunner().invoke(main, ["keys", "init"], env=_env(store))
        assert created.exit_code == 0, created.output
        assert "Clés créées" in created.output and "époque de conservation" in created.output
        app = new_app(store)
        rt = app.extensions["ccop"]
        rt.clock = clock  # 2026-03-02; `keys init` started the ratchet at today's month
        start = rt.keys.epoch
        assert start is not None and start >= KEYS_EPOCH
        first_keys = _store_keys(store, recorded)  # the directory's v1 file is gone after the rotation
        outputs = [created.output]

        client, url = coordinator_with_a_case(app, f"prov.{store.key_provider}")
        case_id = uuid.UUID(url.rsplit("/", 1)[1])
        page = client.get(url)
        assert page.status_code == 200 and "Ndiaye-Lefèvre" in page.text
        post(client, f"{url}/cloture", {"clo-reason": "objectives_met", "clo-confirm": "y"}, token_from=url)
        session = rt.database.session()
        sealed = session.get_one(DataKeyRecord, case_id).epoch_enc
        assert identities.epoch_of_unit(rt.keys, case_id, sealed) == start  # its purge date is earlier
        session.close()

        runner = app.test_cli_runner()
        status = runner.invoke(main, ["keys", "status"])
        assert status.exit_code == 0 and "v1 : active (courante), 1 clé(s) de données" in status.output
        rotated = runner.invoke(main, ["keys", "rotate"])
        assert rotated.exit_code == 0 and "Version v1 retirée" in rotated.output, rotated.output
        after = runner.invoke(main, ["keys", "status"])
        assert "v2 : active (courante), 1 clé(s) de données" in after.output
        outputs += [status.output, rotated.output, after.output]
    assert rt.keys.versions == {"v1": "retired", "v2": "active"}
    session = rt.database.session()
    assert identities.read_unit(session, rt.keys, case_id)[0][1].last_name == "Ndiaye-Lefèvre"
    session.close()

    # The turn of the month after the ratchet's first: the closed situation is purged, its epoch destroyed.
    year, month = map(int, epochs.add_months(start, 1).split("-"))
    clock.now = datetime(year, month, 2, 9, 0, tzinfo=UTC)
    turned = app.test_cli_runner().invoke(main, ["retention", "run"])
    assert turned.exit_code == 0 and "1 effacée(s)" in turned.output, turned.output
    assert f"Clé détruite pour l’époque ou les époques : {start} ;" in turned.output
    assert rt.keys.epoch == epochs.add_months(start, 1)
    outputs.append(turned.output)
    session = rt.database.session()
    assert [e["details"]["resumed"] for e in audit_bodies(session, "keys.rotated")] == ["no"]
    assert [e["target"]["id"] for e in audit_bodies(session, "keys.epoch_destroyed")] == [start]
    session.close()

    keys = list(dict.fromkeys(first_keys + _store_keys(store, recorded)))
    assert len(keys) > 3 * 240, "the store's keys (KEKs v1 and v2, root, epoch secret) and their derivations"
    captured = capfd.readouterr()
    places = {"database": raw_database_bytes(app, tmp_path), "output": "\n".join(outputs).encode(),
              "logs": (captured.out + captured.err).encode()}
    assert {where: [i for i, key in enumerate(keys) for form in _forms(key) if form in data]
            for where, data in places.items()} == {"database": [], "output": [], "logs": []}
