"""``ccop reminders send`` against a real SMTP server started here (aiosmtpd): each person who
chose reminders gets one message a day saying how many items wait, with a link, and nothing
of a followed person (R8); a failing server stops the run without a half-sent state."""

from __future__ import annotations

import email
import email.message
import email.policy
import ipaddress
import json
import socket
import ssl
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import casetest
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from apptest import audit_bodies, login, make_account, make_governance
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from ccop_cases.accounts.models import Person, ReminderSent
from ccop_cases.cases.models import Case, CaseAction, CaseParticipant, InformationRecord
from ccop_cases.charter.models import Membership
from ccop_cases.cli import main

BASE_URL = "https://ccop.villefictive.example.fr"
BODY = "Vous avez {} éléments en attente dans ccop-cases.\n\nhttps://ccop.villefictive.example.fr/\n"
SUBJECT = "ccop-cases : des éléments vous attendent"

# The followed persons, with parts that could each give them away.
SECOND = {"last_name": "Kowalczyk-Brunet", "given_names": "Théo Marius", "sex": "M", "birth_date": "2010-11-03",
          "address": "12 impasse des Glycines, 99001 Villefictive", "phone": "06 98 76 54 32",
          "email": "theo.kb@example.org", "rep1_last_name": "Brunet", "rep1_given_names": "Solange",
          "rep1_phone": "+33 6 12 12 12 12"}
NOTES = ("Vu au square Colbert après 22 h, grand frère suivi par le SPIP",
         "Déscolarisé depuis la Toussaint, mère hospitalisée à Lariboisière")
WORDS = ["Ndiaye", "Lefèvre", "Inès", "Awa", "Fatou", "Acacias", "06 11 22 33 44", "ines.n@example.org",
         "2011-05-20", "20/05/2011", "20 mai 2011", "20.05.2011", "20052011",
         "Kowalczyk", "Brunet", "Théo", "Marius", "Solange", "Glycines", "06 98 76 54 32", "theo.kb@example.org",
         "2010-11-03", "03/11/2010", "3 novembre 2010", "03.11.2010", "03112010",
         "square Colbert", "SPIP", "Toussaint", "Lariboisière"]


# --- a real SMTP server ------------------------------------------------------------------------

@dataclass
class Recorder:
    """aiosmtpd handler: keeps each message as received (envelope and raw bytes), or answers
    ``fail`` (e.g. "451 …") at DATA once ``accept`` messages have been taken."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    fail: str | None = None
    accept: int = 0
    unknown: set[str] = field(default_factory=set)  # addresses refused at RCPT (550)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # aiosmtpd's hook name
        if address in self.unknown:
            return "550 5.1.1 Unknown recipient"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        if self.fail and len(self.messages) >= self.accept:
            return self.fail
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    def per_recipient(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for rcpt, _ in self.messages:
            for address in rcpt:
                counts[address] = counts.get(address, 0) + 1
        return counts


class Smtp:
    """A local SMTP server on a free port, which the test may stop and start again;
    ``options`` go to aiosmtpd (TLS, authentication)."""

    def __init__(self, **options: object) -> None:
        self.handler = Recorder()
        self.options = options
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **self.options)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


@pytest.fixture
def smtp():
    server = Smtp()
    server.start()
    yield server
    server.stop()


def _configure(app, monkeypatch, url: str) -> None:
    rt = app.extensions["ccop"]
    monkeypatch.setattr(rt, "settings", replace(rt.settings, smtp_url=url, base_url=BASE_URL))


def _send(app):
    return app.test_cli_runner().invoke(main, ["reminders", "send"])


# --- the group the reminders are about --------------------------------------------------------

@dataclass
class Seeded:
    expected: dict[str, int]  # address -> items waiting
    silent: list[str]  # addresses that must get nothing
    references: list[str]


def _person(db, account, *, email: str | None, reminders: bool = True) -> None:
    person = db.get(Person, account.person.id)
    person.email, person.reminders = email, reminders
    person.display_name = "Agnès Rappel"  # a staff name: not in the message either


def _membership(db, account) -> Membership:
    return db.scalar(select(Membership).where(Membership.person_id == account.person.id))


def _proposed(db, response) -> Case:
    assert response.status_code == 302, response.text
    return db.get_one(Case, uuid.UUID(response.location.rstrip("/").split("/")[-1]))


def seed(app, clock) -> Seeded:
    """A constituted group with two followed young people and people of every kind.

    The member is named on the first situation: its overdue review and its action due (2).
    The coordonnateur sees both situations: two reviews, the action, the first situation's
    derogation to re-examine, and a designation that ends in 20 days (5). A member who has
    not signed has the charter and the rules to sign (2). Nothing for one who opted out, one
    without an address, one with nothing waiting, an excluded one."""
    rt = app.extensions["ccop"]
    gov = make_governance(app)
    db = gov.session
    today = clock().date()
    accounts = {name: make_account(app, f"rappel.{name}") for name in
                ("coordination", "membre", "refus", "sansadresse", "rien", "asigner", "exclu")}
    memberships = {}
    for name, account in accounts.items():
        role = "coordonnateur" if name == "coordination" else "member"
        end = today + timedelta(days=20) if name == "coordination" else None
        memberships[name] = gov.designate(account, role=role, end_date=end)
        if name != "asigner":
            gov.sign_all(memberships[name])
    member, coordinator = app.test_client(), app.test_client()
    login(member, accounts["membre"], rt.clock)
    login(coordinator, accounts["coordination"], rt.clock)
    responses = [casetest.propose(client, gov, **changes, note=note, note_attested="y")
                 for client, changes, note in ((member, {}, NOTES[0]), (coordinator, SECOND, NOTES[1]))]
    first, second = (_proposed(db, response) for response in responses)

    first.next_review, second.next_review = today - timedelta(days=3), today
    author = memberships["membre"].id
    db.add_all([
        CaseAction(case_id=first.id, action_type="citizenship", start_date=today - timedelta(days=30), end_date=today,
                   outcome="ongoing", recorded_by=author, recorded_at=clock()),
        CaseAction(case_id=first.id, action_type="citizenship", start_date=today - timedelta(days=30),
                   end_date=today - timedelta(days=1), outcome="done", recorded_by=author, recorded_at=clock()),
        CaseAction(case_id=second.id, action_type="citizenship", start_date=today, end_date=today + timedelta(days=9),
                   outcome="ongoing", recorded_by=author, recorded_at=clock()),
        InformationRecord(case_id=first.id, who="representative_1", derogation_reason="risk_to_young_person",
                          review_date=today - timedelta(days=1), approved_by=memberships["coordination"].id,
                          recorded_by=author, recorded_at=clock()),
    ])
    for name in ("refus", "sansadresse", "exclu", "asigner"):  # named on the first situation too
        db.add(CaseParticipant(case_id=first.id, membership_id=memberships[name].id, reason="school", added_by=author,
                               added_at=clock()))
    db.get(Membership, memberships["exclu"].id).status = "excluded"
    addresses = {name: f"{name}@mairie-villefictive.example.fr" for name in accounts}
    for name, account in accounts.items():
        _person(db, account, email=None if name == "sansadresse" else addresses[name], reminders=name != "refus")
    db.commit()
    expected = {addresses["membre"]: 2, addresses["coordination"]: 5, addresses["asigner"]: 2}
    return Seeded(expected, [a for a in addresses.values() if a not in expected], [first.reference, second.reference])


# --- what the messages carry ------------------------------------------------------------------

def _text(message: email.message.EmailMessage) -> str:
    """The body as written (SMTP carries CRLF line ends)."""
    return message.get_content().replace("\r\n", "\n")


def _folded(text: str) -> str:
    """Lower case without accents, so that « Ines » or « LEFEVRE » would match too."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def test_each_person_gets_one_message_that_carries_only_a_count_and_a_link(app, clock, smtp, monkeypatch, db):
    seeded = seed(app, clock)
    _configure(app, monkeypatch, smtp.url)
    result = _send(app)
    assert result.exit_code == 0, result.output
    assert "3 courriel(s) envoyé(s)" in result.output

    assert smtp.handler.per_recipient() == dict.fromkeys(seeded.expected, 1)
    for recipients, raw in smtp.handler.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Subject"] == SUBJECT and message["To"] == recipients[0]
        assert _text(message) == BODY.format(seeded.expected[recipients[0]])
        decoded = "\n".join([*(f"{k}: {v}" for k, v in message.items()), message.get_content()])
        for text in (raw.decode("utf-8", "replace"), decoded):
            found = [w for w in [*WORDS, *seeded.references, "Agnès", "Rappel", "rappel."]
                     if _folded(w) in _folded(text)]
            assert found == [], (recipients, found)


def test_a_single_item_is_said_in_the_singular(app, clock, smtp, monkeypatch, db):
    gov = make_governance(app)
    account = make_account(app, "rappel.seul")
    gov.sign_all(gov.designate(account, end_date=clock().date() + timedelta(days=30)))
    _person(db, account, email="seul@example.fr")
    db.commit()
    _configure(app, monkeypatch, smtp.url)
    assert _send(app).exit_code == 0
    [(_, raw)] = smtp.handler.messages
    body = _text(email.message_from_bytes(raw, policy=email.policy.default))
    assert body == f"Vous avez 1 élément en attente dans ccop-cases.\n\n{BASE_URL}/\n"


def test_nothing_is_sent_twice_a_day_and_again_the_next_day(app, clock, smtp, monkeypatch, db):
    seeded = seed(app, clock)
    _configure(app, monkeypatch, smtp.url)
    assert _send(app).exit_code == 0
    again = _send(app)
    assert again.exit_code == 0 and "0 courriel(s) envoyé(s)" in again.output
    assert smtp.handler.per_recipient() == dict.fromkeys(seeded.expected, 1)
    clock.advance(days=1)
    assert _send(app).exit_code == 0
    assert smtp.handler.per_recipient() == dict.fromkeys(seeded.expected, 2)


def test_each_reminder_is_audited_with_ids_and_a_count_only(app, clock, smtp, monkeypatch, db):
    seeded = seed(app, clock)
    _configure(app, monkeypatch, smtp.url)
    assert _send(app).exit_code == 0
    by_address = {p.email: str(p.id) for p in db.scalars(select(Person).where(Person.email.is_not(None)))}
    sent = audit_bodies(db, "reminder.sent")
    assert sorted((e["target"]["type"], e["target"]["id"], e["details"]) for e in sent) == sorted(
        ("person", by_address[address], {"items": str(count)}) for address, count in seeded.expected.items())
    assert audit_bodies(db, "reminders.run")[-1]["details"] == {"sent": "3", "nothing_waiting": "2", "refused": "0"}
    trail = repr(audit_bodies(db))
    assert [a for a in by_address if a in trail] == []


def test_reminders_are_off_without_an_smtp_url(app, clock, smtp, monkeypatch, db):
    seed(app, clock)
    _configure(app, monkeypatch, "")
    result = _send(app)
    assert result.exit_code == 0 and "Rappels désactivés" in result.output
    assert smtp.handler.messages == []
    assert db.scalar(select(func.count()).select_from(ReminderSent)) == 0


def test_a_password_is_never_sent_over_a_connection_left_in_clear(app, clock, monkeypatch, db):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data)
        return AuthResult(success=True)

    server = Smtp(auth_require_tls=False, authenticator=authenticator)  # would take a password in clear
    server.start()
    try:
        seed(app, clock)
        _configure(app, monkeypatch, f"smtp://rappels:TresSecret@127.0.0.1:{server.port}")
        result = _send(app)
        assert result.exit_code != 0 and "STARTTLS" in result.output and "TresSecret" not in result.output
        assert logins == [] and server.handler.messages == []
        assert db.scalar(select(func.count()).select_from(ReminderSent)) == 0
    finally:
        server.stop()


# --- TLS and the password --------------------------------------------------------------------

@pytest.fixture
def certificate(tmp_path, monkeypatch) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1, which the client is made to trust (its
    default verification reads SSL_CERT_FILE); returns the server's TLS context."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


@pytest.mark.parametrize("scheme", ["smtp", "smtps"])
def test_the_password_goes_only_over_tls_and_opens_the_session(app, clock, monkeypatch, db, certificate, scheme):
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"rappels", b"Tres secret"))

    if scheme == "smtp":  # the server refuses any message, and any password, before STARTTLS
        server = Smtp(tls_context=certificate, require_starttls=True, auth_required=True, authenticator=authenticator)
    else:  # TLS from the first byte (aiosmtpd then counts the connection as clear: allow AUTH)
        server = Smtp(ssl_context=certificate, auth_require_tls=False, authenticator=authenticator)
    server.start()
    try:
        seeded = seed(app, clock)
        _configure(app, monkeypatch, f"{scheme}://rappels:Tres%20secret@127.0.0.1:{server.port}")
        result = _send(app)
        assert result.exit_code == 0, result.output
        assert "secret" not in result.output
        assert logins == [(b"rappels", b"Tres secret")]
        assert server.handler.per_recipient() == dict.fromkeys(seeded.expected, 1)
    finally:
        server.stop()


def test_a_certificate_the_client_does_not_trust_stops_the_run(app, clock, monkeypatch, db, certificate):
    monkeypatch.delenv("SSL_CERT_FILE")
    server = Smtp(tls_context=certificate)
    server.start()
    try:
        seed(app, clock)
        _configure(app, monkeypatch, server.url)
        result = _send(app)
        assert result.exit_code != 0 and "SSLCertVerificationError" in result.output
        assert server.handler.messages == []
    finally:
        server.stop()


# --- a failing server -------------------------------------------------------------------------

def _sent_rows(db) -> set[str]:
    """Who is recorded as reminded (the read's transaction ended: SQLite's lock released)."""
    db.expire_all()
    rows = {p.email for p in db.scalars(select(Person).join(ReminderSent, ReminderSent.person_id == Person.id))}
    db.commit()
    return rows


def test_a_server_down_stops_the_run_and_the_next_run_sends_each_reminder_once(committed_app, clock, smtp,
                                                                                monkeypatch):
    app = committed_app
    seeded = seed(app, clock)
    db = app.extensions["ccop"].database.session()
    _configure(app, monkeypatch, smtp.url)
    smtp.stop()
    failed = _send(app)
    assert failed.exit_code != 0 and "Envoi interrompu" in failed.output and "injoignable" in failed.output
    assert "Traceback" not in failed.output and _sent_rows(db) == set()
    assert audit_bodies(db, "reminders.run")[-1]["outcome"] == "error"
    db.commit()
    smtp.start()
    assert _send(app).exit_code == 0
    assert smtp.handler.per_recipient() == dict.fromkeys(seeded.expected, 1)
    assert _sent_rows(db) == set(seeded.expected)
    db.close()


@pytest.mark.parametrize("answer", ["451 4.3.0 Try again later", "554 5.7.1 Rejected"])
def test_a_server_refusing_midway_leaves_no_half_sent_state(committed_app, clock, smtp, monkeypatch, answer):
    app = committed_app
    seeded = seed(app, clock)
    db = app.extensions["ccop"].database.session()
    _configure(app, monkeypatch, smtp.url)
    smtp.handler.fail, smtp.handler.accept = answer, 1
    failed = _send(app)
    assert failed.exit_code != 0 and "Envoi interrompu" in failed.output
    assert f"code {answer[:3]}" in failed.output and "1 rappel(s) envoyé(s)" in failed.output
    first = set(smtp.handler.per_recipient())
    assert len(first) == 1 and _sent_rows(db) == first  # the one taken is recorded, nobody else
    smtp.handler.fail = None
    assert _send(app).exit_code == 0
    assert smtp.handler.per_recipient() == dict.fromkeys(seeded.expected, 1)
    assert _sent_rows(db) == set(seeded.expected)
    db.close()


def test_an_address_the_server_refuses_fails_alone_and_the_others_go(committed_app, clock, smtp, monkeypatch):
    """A refused address (550 at RCPT) is that person's failure, audited with the code only:
    the run goes on, exits non-zero so the timer shows it, and records nothing for them."""
    app = committed_app
    seeded = seed(app, clock)
    db = app.extensions["ccop"].database.session()
    _configure(app, monkeypatch, smtp.url)
    refused = sorted(seeded.expected)[0]
    smtp.handler.unknown = {refused}
    result = _send(app)
    assert result.exit_code != 0 and "1 destinataire(s) refusé(s)" in result.output and "Traceback" not in result.output
    others = {address: 1 for address in seeded.expected if address != refused}
    assert smtp.handler.per_recipient() == others
    assert _sent_rows(db) == set(others)
    failure = audit_bodies(db, "reminder.failed")[-1]
    assert failure["details"] == {"smtp_code": "550"} and refused not in json.dumps(failure)
    assert _send(app).exit_code != 0  # still refused the next run; the others are not sent twice
    assert smtp.handler.per_recipient() == others
    db.close()
