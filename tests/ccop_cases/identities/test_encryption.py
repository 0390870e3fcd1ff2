"""The app's encryption: TOTP secret on the crypto library, identities in encrypted columns,
exact search through the blind index, shredding, key rotation, unreadable records."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from apptest import encodings, login, raw_database_bytes
from sqlalchemy import inspect, select

from ccop_cases.accounts.models import Person
from ccop_cases.accounts.services import open_totp_secret
from ccop_cases.cli import main
from ccop_cases.encryption import DecryptionError
from ccop_cases.identities import services
from ccop_cases.identities.models import DataKeyRecord, IdentityRecord, IdentityToken
from ccop_cases.identities.services import Identity
from crypto import BlindIndex, DataKey

GROUP = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_GROUP = uuid.UUID("00000000-0000-4000-8000-000000000002")
YOUNG = Identity("Lefèvre-Dubois", "Éloïse Marie", date(2010, 4, 17), "F",
                 "12 rue des Tilleuls, 59000 Lille", "06 12 34 56 78", "eloise.lefevre@example.fr")


def _rt(app):
    return app.extensions["ccop"]


def _index(app, scope=GROUP):
    rt = _rt(app)
    return BlindIndex(rt.keys.purpose_key("blind-index"), bits=rt.settings.blind_index_bits, scope=scope)


def _new_unit(app, db, identity=YOUNG, scope=GROUP):
    rt = _rt(app)
    unit = uuid.uuid4()
    dek = services.open_unit(db, rt.keys, unit, rt.clock(), date(2035, 4, 17))
    services.write_identity(db, dek, unit, "young_person", 0, identity, index=_index(app, scope), scope=scope)
    return unit


def test_no_mapped_attribute_holds_plaintext_identity():
    columns = {c.key for c in inspect(IdentityRecord).columns}
    assert {"last_name", "given_names", "birth_date", "address", "phone", "email"}.isdisjoint(columns)
    assert {f"{f}_enc" for f in ("last_name", "given_names", "birth_date")} <= columns


def test_identity_round_trip(app, db):
    unit = _new_unit(app, db)
    [(row, person)] = services.read_unit(db, _rt(app).keys, unit)
    assert person == YOUNG and row.role == "young_person"


def test_identity_value_moved_to_another_row_fails_to_decrypt(app, db):
    first, second = _new_unit(app, db), _new_unit(app, db)
    a = db.scalar(select(IdentityRecord).where(IdentityRecord.unit_id == first))
    b = db.scalar(select(IdentityRecord).where(IdentityRecord.unit_id == second))
    b.last_name_enc = a.last_name_enc  # copied between rows (and units)
    with pytest.raises(DecryptionError):
        services.read_unit(db, _rt(app).keys, second)


def test_identity_value_moved_to_another_column_fails_to_decrypt(app, db):
    unit = _new_unit(app, db)
    row = db.scalar(select(IdentityRecord).where(IdentityRecord.unit_id == unit))
    row.given_names_enc = row.last_name_enc
    with pytest.raises(DecryptionError):
        services.read_unit(db, _rt(app).keys, unit)


@pytest.mark.parametrize("variant", [
    ("LEFEVRE DUBOIS", "eloise", date(2010, 4, 17)),
    ("lefèvre-dubois", "ÉLOÏSE", date(2010, 4, 17)),
    ("  Lefevre   Dubois ", "Eloise Marie Anne", date(2010, 4, 17)),
])
def test_search_finds_spelling_variants_in_the_same_group(app, db, variant):
    unit = _new_unit(app, db)
    assert services.search(db, _rt(app).keys, _index(app), GROUP, *variant) == [unit]


@pytest.mark.parametrize("other", [
    ("Lefèvre-Dubois", "Éloïse", date(2010, 4, 18)),
    ("Lefèvre", "Éloïse", date(2010, 4, 17)),
    ("Lefèvre-Dubois", "Marie", date(2010, 4, 17)),
])
def test_search_never_returns_a_different_person(app, db, other):
    _new_unit(app, db)
    assert services.search(db, _rt(app).keys, _index(app), GROUP, *other) == []


def test_search_never_crosses_groups(app, db):
    _new_unit(app, db, scope=OTHER_GROUP)
    assert services.search(db, _rt(app).keys, _index(app), GROUP, "Lefèvre-Dubois", "Éloïse",
                           date(2010, 4, 17)) == []


def test_search_with_one_bit_buckets_still_returns_only_true_matches(app, db):
    rt = _rt(app)
    coarse = BlindIndex(rt.keys.purpose_key("blind-index"), bits=1, scope=GROUP)
    units = []
    for i in range(12):
        unit = uuid.uuid4()
        dek = services.open_unit(db, rt.keys, unit, rt.clock(), date(2035, 4, 17))
        services.write_identity(db, dek, unit, "young_person", 0,
                                Identity(f"Nom{i}", "Prénom", date(2011, 1, 1 + i)), index=coarse, scope=GROUP)
        units.append(unit)
    assert services.search(db, rt.keys, coarse, GROUP, "NOM7", "prenom", date(2011, 1, 8)) == [units[7]]


def test_shredding_removes_key_ciphertexts_and_tokens_and_nothing_opens_old_values(app, db):
    rt = _rt(app)
    keep = _new_unit(app, db)
    unit = _new_unit(app, db)
    saved = db.scalar(select(IdentityRecord).where(IdentityRecord.unit_id == unit))
    value, row_id = saved.last_name_enc, saved.id
    db.expunge(saved)
    counts = services.shred_unit(db, unit)
    assert counts == {"tokens": 1, "identities": 1, "data_keys": 1}
    for model in (DataKeyRecord, IdentityRecord, IdentityToken):
        assert db.scalars(select(model).where(model.unit_id == unit)).all() == []
    # Every key that remains: the other unit's DEK and each purpose key.
    remaining = [services.unit_key(db, rt.keys, keep)] + [
        rt.keys.purpose_key(p) for p in ("blind-index", "totp-secret", "session", "audit-signing")]
    from ccop_cases.encryption import open_text
    for key in remaining:
        with pytest.raises(DecryptionError):
            open_text(key, value, column=IdentityRecord.last_name_enc, row_id=row_id)
    with pytest.raises(LookupError):
        services.unit_key(db, rt.keys, unit)


def test_totp_secret_is_sealed_by_the_library_and_bound_to_the_person(app, account, db):
    rt = _rt(app)
    person = db.get(Person, account.person.id)
    assert person.totp_secret_enc[0] == 0x01 and account.totp_secret.encode() not in person.totp_secret_enc
    assert open_totp_secret(rt.keys, person.id, person.totp_secret_enc) == account.totp_secret
    with pytest.raises(DecryptionError):
        open_totp_secret(rt.keys, uuid.uuid4(), person.totp_secret_enc)


def test_unreadable_secret_shows_a_french_page_logs_ids_only_and_saves_nothing(app, account, db, clock, capsys):
    person = db.get(Person, account.person.id)
    tampered = bytearray(person.totp_secret_enc)
    tampered[-1] ^= 1
    person.totp_secret_enc = bytes(tampered)
    db.commit()
    response = login(app.test_client(), account, clock)
    assert response.status_code == 500
    assert "ne peut pas être lu" in response.text and "Rien n’a été modifié" in response.text
    err = capsys.readouterr().err
    assert "decryption_failed" in err and account.username not in err
    db.expire_all()
    assert db.get(Person, account.person.id).totp_secret_enc == bytes(tampered)  # not re-saved
    assert db.get(Person, account.person.id).totp_last_step is None


# --- rotation ----------------------------------------------------------------------------------


def _snapshot(db):
    db.expire_all()
    rows = db.scalars(select(IdentityRecord)).all()
    keys = db.scalars(select(DataKeyRecord)).all()
    return ({r.id: (r.last_name_enc, r.email_enc) for r in rows},
            {k.unit_id: (k.kek_id, k.wrapped) for k in keys})


def test_rotation_rewraps_every_key_keeps_values_readable_and_ciphertexts_unchanged(own_keys_app):
    app = own_keys_app
    db = _rt(app).database.session()
    units = [_new_unit(app, db) for _ in range(7)]
    db.commit()
    fields_before, keys_before = _snapshot(db)
    result = app.test_cli_runner().invoke(main, args=["keys", "rotate", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "Nouvelle version de clé : v2" in result.output and "Version v1 retirée" in result.output
    fields_after, keys_after = _snapshot(db)
    assert fields_after == fields_before
    assert {k for k, _ in keys_after.values()} == {"v2"}
    assert all(keys_after[u][1] != keys_before[u][1] for u in units)
    assert all(services.read_unit(db, _rt(app).keys, u)[0][1] == YOUNG for u in units)
    assert _rt(app).keys.versions == {"v1": "retired", "v2": "active"}
    status = app.test_cli_runner().invoke(main, args=["keys", "status"])
    assert "v2 : active (courante), 7 clé(s) de données" in status.output


def test_interrupted_rotation_resumes_without_a_new_version(own_keys_app, monkeypatch):
    app = own_keys_app
    db = _rt(app).database.session()
    for _ in range(5):
        _new_unit(app, db)
    db.commit()
    real = services.rewrap
    calls = {"n": 0}

    def failing(keys, batch):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real(keys, batch)

    monkeypatch.setattr(services, "rewrap", failing)
    first = app.test_cli_runner().invoke(main, args=["keys", "rotate", "--batch-size", "2"])
    assert first.exit_code != 0
    assert sorted(services.count_by_kek(db).items()) == [("v1", 3), ("v2", 2)]
    monkeypatch.setattr(services, "rewrap", real)
    second = app.test_cli_runner().invoke(main, args=["keys", "rotate", "--batch-size", "2"])
    assert second.exit_code == 0, second.output
    assert "Reprise" in second.output and "v3" not in second.output
    assert services.count_by_kek(db) == {"v2": 5}
    assert _rt(app).keys.versions == {"v1": "retired", "v2": "active"}


# --- nothing in clear at rest --------------------------------------------------------------------

MARKERS = ["Zéphyrine", "Quatrefages-Ossature", "2009-10-31", "7 impasse du Moulin Bleu",
           "0611223344", "zephyrine.q@example.org"]


def test_raw_database_holds_no_identity_in_clear(committed_app, tmp_path):
    app = committed_app
    rt = _rt(app)
    session = rt.database.session()
    unit = uuid.uuid4()
    dek = services.open_unit(session, rt.keys, unit, rt.clock(), date(2035, 4, 17))
    identity = Identity(MARKERS[1], MARKERS[0], date.fromisoformat(MARKERS[2]), "F", MARKERS[3], MARKERS[4], MARKERS[5])
    services.write_identity(session, dek, unit, "young_person", 0, identity, index=_index(app), scope=GROUP)
    services.write_identity(session, dek, unit, "representative", 1, Identity(MARKERS[1], "Parent"))
    session.commit()
    session.close()
    raw = raw_database_bytes(app, tmp_path)
    assert len(raw) > 1000
    found = [m for m in MARKERS for enc in encodings(m) if enc in raw]
    assert found == []


def test_the_raw_reader_would_see_a_plaintext_value(committed_app, tmp_path):
    """Guards the test above: the same reader finds a value stored in clear."""
    rt = _rt(committed_app)
    session = rt.database.session()
    session.add(Person(username="temoin.en.clair", password_hash="x", created_at=rt.clock()))
    session.commit()
    session.close()
    assert b"temoin.en.clair" in raw_database_bytes(committed_app, tmp_path)


def test_datakey_never_prints_its_bytes(app, db):
    unit = _new_unit(app, db)
    dek = services.unit_key(db, _rt(app).keys, unit)
    assert repr(dek) == f"DataKey(key_id={dek.key_id})"
    assert isinstance(dek, DataKey)



def test_the_associated_data_comes_from_the_mapped_column_so_a_value_moved_to_another_column_fails(app, db):
    """A value sealed for one mapped column does not open as another's, nor in another row."""
    from ccop_cases.cases.models import Case, CaseChange
    from ccop_cases.encryption import open_text, seal_text

    dek = services.open_unit(db, _rt(app).keys, uuid.uuid4(), _rt(app).clock(), None)
    row = uuid.uuid4()
    sealed = seal_text(dek, "remarque", column=Case.note_enc, row_id=row)
    assert open_text(dek, sealed, column=Case.note_enc, row_id=row) == "remarque"
    for column, row_id in ((CaseChange.value_enc, row), (Case.note_enc, uuid.uuid4())):
        with pytest.raises(DecryptionError):
            open_text(dek, sealed, column=column, row_id=row_id)
