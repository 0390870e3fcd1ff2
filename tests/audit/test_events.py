"""Events admit ids and codes only: free text and personal data are refused at construction."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import Event
from audit.bundle import entry_line
from audit.events import encode_entry, entry_parts, make_record
from audit.verify_audit_export import _ENTRY_LINE, _ENTRY_V2_LINE, GENESIS, TS

FREE_TEXT = [
    "Jean Dupont",  # a space: names, sentences
    "jean.dupont@example.org",  # an e-mail address
    "Hélène",  # accents
    "line\nbreak",
    'quote"d',
    "YWJjZA+/==",  # base64: a key, a code or a ciphertext
    "x" * 65,  # longer than an id
]


@pytest.mark.parametrize("value", FREE_TEXT)
def test_details_refuse_free_text_without_echoing_it(value: str) -> None:
    with pytest.raises(ValueError, match="details value") as caught:
        Event(action="case.search", actor_id="p1", actor_role="member", target_type="case",
              details={"term": value})
    assert value not in str(caught.value)


@pytest.mark.parametrize("key", ["Nom", "two words", "1st", "", "k" * 65])
def test_details_refuse_keys_that_are_not_snake_case_codes(key: str) -> None:
    with pytest.raises(ValueError, match="details key"):
        Event(action="case.read", actor_id="p1", actor_role="member", target_type="case",
              details={key: "v"})


@pytest.mark.parametrize("field", ["action", "actor_id", "actor_role", "target_type",
                                   "target_id", "request"])
def test_every_field_refuses_free_text(field: str) -> None:
    values = {"action": "case.read", "actor_id": "p1", "actor_role": "member",
              "target_type": "case", field: "Jean Dupont"}
    with pytest.raises(ValueError, match=field):
        Event(**values)


def test_details_refuse_more_than_sixteen_pairs() -> None:
    with pytest.raises(ValueError, match="at most 16"):
        Event(action="a", actor_id="p", actor_role="r", target_type="t",
              details={f"k{i}": "v" for i in range(17)})


def test_rule_is_required_exactly_when_outcome_is_denied() -> None:
    common = {"action": "case.read", "actor_id": "p1", "actor_role": "member",
              "target_type": "case"}
    assert Event(**common, outcome="denied", rule="R3").rule == "R3"
    with pytest.raises(ValueError, match="rule"):
        Event(**common, outcome="denied")
    with pytest.raises(ValueError, match="rule"):
        Event(**common, outcome="success", rule="R3")


def test_outcome_is_one_of_success_denied_error() -> None:
    with pytest.raises(ValueError, match="outcome"):
        Event(action="a", actor_id="p", actor_role="r", target_type="t", outcome="ok")


def test_event_is_immutable_including_its_details() -> None:
    source = {"case_ref": "S-2026-0042"}
    event = Event(action="a", actor_id="p", actor_role="r", target_type="t", details=source)
    source["case_ref"] = "changed"
    assert event.details == {"case_ref": "S-2026-0042"}
    with pytest.raises(TypeError):
        event.details["x"] = "y"  # type: ignore[index]
    with pytest.raises(AttributeError):
        event.action = "b"  # type: ignore[misc]


def test_anonymous_actor_and_empty_target_id_are_allowed() -> None:
    event = Event(action="session.login_failed", actor_id="", actor_role="anonymous",
                  target_type="session", outcome="error")
    assert event.actor_id == "" and event.target_id == ""


_token = st.from_regex(re.compile(r"[A-Za-z0-9_.:\-]{0,64}"), fullmatch=True)
_code = st.from_regex(re.compile(r"[A-Za-z0-9_.:\-]{1,64}"), fullmatch=True)
_key = st.from_regex(re.compile(r"[a-z][a-z0-9_]{0,63}"), fullmatch=True)


@st.composite
def events(draw: st.DrawFn) -> Event:
    outcome = draw(st.sampled_from(["success", "denied", "error"]))
    return Event(action=draw(_code), actor_id=draw(_token), actor_role=draw(_code),
                 target_type=draw(_code), target_id=draw(_token), outcome=outcome,
                 rule=draw(_code) if outcome == "denied" else None,
                 request=draw(st.none() | _code),
                 details=draw(st.dictionaries(_key, _token, max_size=16)))


@settings(max_examples=150, deadline=None)
@given(event=events(), seq=st.integers(min_value=1, max_value=10**17))
def test_every_valid_event_encodes_to_a_line_the_verifier_grammar_accepts(
        event: Event, seq: int) -> None:
    record = make_record(event, seq=seq, ts="2026-11-26T10:15:00.000000Z", prev=GENESIS)
    assert record.body is not None
    assert _ENTRY_LINE.fullmatch(entry_line(record.body, record.hash)) is not None


_chain = st.sampled_from(["platform", "4b1e7c52-0d3a-4f8e-9a61-2c7d5e8f9a10"]) | _code
_ts = st.from_regex(re.compile(TS), fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(event=events(), chain=_chain, seq=st.integers(min_value=1, max_value=10**18 - 1),
       ts=_ts, prev=st.binary(min_size=32, max_size=32))
def test_entry_parts_reassemble_to_the_encoded_entry_of_the_chain(
        event: Event, chain: str, seq: int, ts: str, prev: bytes) -> None:
    a, b, c, d = entry_parts(event, chain=chain)
    body = a + prev.hex().encode() + b + str(seq).encode() + c + ts.encode() + d
    assert body == encode_entry(event, seq=seq, ts=ts, prev=prev, chain=chain)
    assert _ENTRY_V2_LINE.fullmatch(entry_line(body, GENESIS)) is not None


@settings(max_examples=100, deadline=None)
@given(event=events(), chain=_chain, seq=st.integers(min_value=1, max_value=10**17))
def test_an_entry_with_a_chain_is_version_2_naming_it_and_one_without_is_version_1(
        event: Event, chain: str, seq: int) -> None:
    ts = "2026-11-26T10:15:00.000000Z"
    v2 = json.loads(encode_entry(event, seq=seq, ts=ts, prev=GENESIS, chain=chain))
    v1 = json.loads(encode_entry(event, seq=seq, ts=ts, prev=GENESIS))
    assert (v2.pop("v"), v2.pop("chain"), v1.pop("v")) == ("2", chain, "1")
    assert v2 == v1
    assert _ENTRY_LINE.fullmatch(entry_line(encode_entry(event, seq=seq, ts=ts, prev=GENESIS,
                                                         chain=chain), GENESIS)) is None


@pytest.mark.parametrize("chain", ["", "Conseil A", "conseil@x", "x" * 65])
def test_a_chain_that_is_not_a_code_is_refused(case_read, chain: str) -> None:
    with pytest.raises(ValueError, match="chain"):
        encode_entry(case_read(1), seq=1, ts="2026-11-26T10:15:00.000000Z", prev=GENESIS,
                     chain=chain)
    with pytest.raises(ValueError, match="chain"):
        entry_parts(case_read(1), chain=chain)
