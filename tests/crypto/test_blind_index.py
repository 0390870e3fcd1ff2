"""Blind index: normalisation of French names, tokens, and search without false matches."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import BlindIndex, Context, DataKey
from crypto.blindindex import first_given_name, normalise_name

BIRTH = dt.date(2009, 3, 14)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Éloïse", "eloise"),
        ("ELOISE", "eloise"),
        ("E\u0301lodie", "elodie"),
        ("François", "francois"),
        ("FRANÇOIS", "francois"),
        ("Œuvray", "oeuvray"),
        ("cœur", "coeur"),
        ("LÆTITIA", "laetitia"),
        ("Lætitia", "laetitia"),
        ("de La Fontaine", "de la fontaine"),
        ("DE LA FONTAINE", "de la fontaine"),
        ("  de   la\tFontaine ", "de la fontaine"),
        ("de-la-Fontaine", "de la fontaine"),
        ("N’Diaye", "n diaye"),
        ("N'Diaye", "n diaye"),
        ("N DIAYE", "n diaye"),
        ("N‘Diaye", "n diaye"),
        ("d’Artagnan", "d artagnan"),
        ("Saint-Exupéry", "saint exupery"),
        ("Saint\u2011Exupéry", "saint exupery"),
        ("St. Exupéry", "st exupery"),
        ("Le Pen-Dupont", "le pen dupont"),
        ("Ben Saïd", "ben said"),
        ("Müller", "muller"),
        ("Straße", "strasse"),
        ("Jean\u00a0Marc", "jean marc"),
        ("ＤＵＰＯＮＴ", "dupont"),
        ("", ""),
        (" - ", ""),
    ],
)
def test_normalise_name_table_of_french_names(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jean-Pierre Marie Louis", "jean pierre"),
        ("JEAN-PIERRE", "jean pierre"),
        ("Jean\u2011Pierre", "jean pierre"),
        ("Jean Pierre", "jean"),
        ("Marie-Thérèse, Anne", "marie therese"),
        ("Anne,Marie", "anne"),
        ("  Éloïse  ", "eloise"),
        ("Chloé\u00a0Anne", "chloe"),
        ("N’Golo", "n golo"),
        ("- Marie", "marie"),
        ("", ""),
    ],
)
def test_first_given_name_keeps_hyphenated_compound_names_whole(raw: str, expected: str) -> None:
    assert first_given_name(raw) == expected


@pytest.mark.parametrize(
    "variants",
    [
        [("N’Diaye", "Aminata"), ("N'Diaye", "AMINATA"), ("N DIAYE", "aminata")],
        [("de La Fontaine", "Jean"), ("DE LA FONTAINE", "JEAN"), ("De-La-Fontaine", "Jean Paul")],
        [("Dupont", "Jean-Pierre Marie"), ("DUPONT", "jean-pierre"), (" dupont ", "JEAN-PIERRE,Luc")],
        [("Lefèvre", "Éloïse"), ("LEFEVRE", "ELOISE"), ("Lefevre", "Eloïse Anne")],
        [("Œuvray", "Lætitia"), ("OEUVRAY", "LAETITIA"), ("oeuvray", "laetitia")],
    ],
    ids=["apostrophes", "particles", "compound given name", "accents", "ligatures"],
)
def test_spelling_variants_give_the_same_token(variants: list[tuple[str, str]]) -> None:
    index = BlindIndex(DataKey.generate(), bits=32)
    assert len({index.token(last, given, BIRTH) for last, given in variants}) == 1


def test_compound_and_separate_given_names_are_different_people() -> None:
    norm = BlindIndex.normalise
    assert norm("Dupont", "Jean-Pierre", BIRTH) != norm("Dupont", "Jean Pierre", BIRTH)


def test_fields_are_packed_unambiguously() -> None:
    index = BlindIndex(DataKey.generate(), bits=32)
    assert index.token("Martin", "Paul", BIRTH) != index.token("Martinp", "Aul", BIRTH)


def test_birth_date_is_part_of_the_token() -> None:
    index = BlindIndex(DataKey.generate(), bits=32)
    assert index.token("Martin", "Paul", BIRTH) != index.token("Martin", "Paul", dt.date(2009, 3, 15))


def test_token_depends_on_the_key_and_the_scope() -> None:
    key = DataKey.generate()
    tokens = {
        BlindIndex(key, bits=32).token("Martin", "Paul", BIRTH),
        BlindIndex(DataKey.generate(), bits=32).token("Martin", "Paul", BIRTH),
        BlindIndex(key, bits=32, scope=uuid.uuid4()).token("Martin", "Paul", BIRTH),
    }
    assert len(tokens) == 3


@pytest.mark.parametrize("bits", [1, 8, 16, 32])
def test_token_is_an_int_of_at_most_l_bits_and_a_prefix_of_the_longer_token(bits: int) -> None:
    key = DataKey.generate()
    short = BlindIndex(key, bits=bits).token("Martin", "Paul", BIRTH)
    full = BlindIndex(key, bits=32).token("Martin", "Paul", BIRTH)
    assert 0 <= short < 2**bits and short == full >> (32 - bits)


def test_default_token_length_is_8_bits() -> None:
    assert BlindIndex(DataKey.generate()).bits == 8


@pytest.mark.parametrize("bits", [0, 33, -1, True])
def test_token_length_outside_1_to_32_bits_is_refused(bits: int) -> None:
    with pytest.raises(ValueError, match="bits"):
        BlindIndex(DataKey.generate(), bits=bits)


def test_birth_date_must_be_a_date_not_a_datetime() -> None:
    with pytest.raises(TypeError):
        BlindIndex(DataKey.generate()).token("Martin", "Paul", dt.datetime(2009, 3, 14, 12))


def test_blind_index_repr_shows_no_key_bytes() -> None:
    key = DataKey.generate()
    assert key.secret_bytes().hex() not in repr(BlindIndex(key))


# --- properties over random identities ------------------------------------------------

ACCENTED = {"a": "aàâä", "c": "cç", "e": "eéèêë", "i": "iîï", "o": "oô", "u": "uùûü", "y": "yÿ"}
LAST_NAME_SEPARATORS = [" ", "-", "'", "’", "  ", " - ", ". ", "\u2010", "\u00a0", " ’"]
COMPOUND_SEPARATORS = ["-", "\u2011", "\u2010", "'", "’"]  # never whitespace: one given name
GIVEN_NAME_SEPARATORS = [" ", "  ", ",", ", ", "\t"]

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
identities = st.tuples(
    st.lists(words, min_size=1, max_size=3),  # last name words
    st.lists(words, min_size=1, max_size=2),  # parts of the first given name
    st.lists(words, max_size=2),  # further given names
    st.dates(dt.date(1995, 1, 1), dt.date(2020, 12, 31)),
)
Identity = tuple[list[str], list[str], list[str], dt.date]


@st.composite
def spelled_word(draw: st.DrawFn, word: str) -> str:
    for pair, ligature in (("oe", "œ"), ("ae", "æ")):
        if pair in word and draw(st.booleans()):
            word = word.replace(pair, ligature)
    chars = [draw(st.sampled_from(ACCENTED.get(c, c))) for c in word]
    return "".join(c.upper() if draw(st.booleans()) else c for c in chars)


@st.composite
def joined(draw: st.DrawFn, parts: list[str], separators: list[str]) -> str:
    out = draw(spelled_word(parts[0]))
    for part in parts[1:]:
        out += draw(st.sampled_from(separators)) + draw(spelled_word(part))
    return out


@st.composite
def spelling(draw: st.DrawFn, identity: Identity) -> tuple[str, str, dt.date]:
    last_words, first_parts, other_given, birth = identity
    pad = st.sampled_from(["", " ", "  "])
    last = draw(pad) + draw(joined(last_words, LAST_NAME_SEPARATORS)) + draw(pad)
    given = draw(joined(first_parts, COMPOUND_SEPARATORS))
    for name in other_given:
        given += draw(st.sampled_from(GIVEN_NAME_SEPARATORS)) + draw(spelled_word(name))
    return last, draw(pad) + given, birth


def canonical(identity: Identity) -> tuple[str, str, str]:
    last_words, first_parts, _, birth = identity
    return " ".join(last_words), " ".join(first_parts), birth.isoformat()


PROPERTY_INDEX = BlindIndex(DataKey.generate(), bits=32)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), identity=identities)
def test_spelling_variants_of_any_identity_give_the_same_token(data: st.DataObject, identity: Identity) -> None:
    first = data.draw(spelling(identity))
    second = data.draw(spelling(identity))
    assert BlindIndex.normalise(*first) == BlindIndex.normalise(*second) == canonical(identity)
    assert PROPERTY_INDEX.token(*first) == PROPERTY_INDEX.token(*second)


SEARCH_KEY = DataKey.generate()


def _search(
    index: BlindIndex,
    table: dict[int, list[uuid.UUID]],
    rows: dict[uuid.UUID, tuple[bytes, bytes, dt.date]],
    query: tuple[str, str, dt.date],
) -> list[uuid.UUID]:
    """What the application does: token lookup, decrypt candidates, exact compare."""
    wanted = BlindIndex.normalise(*query)
    found = []
    for row_id in table.get(index.token(*query), []):
        last, given, birth = rows[row_id]
        plain_last = SEARCH_KEY.decrypt(last, context=Context("person", "last_name", row_id))
        plain_given = SEARCH_KEY.decrypt(given, context=Context("person", "given_names", row_id))
        if BlindIndex.normalise(plain_last.decode(), plain_given.decode(), birth) == wanted:
            found.append(row_id)
    return found


@settings(max_examples=100, deadline=None)
@given(
    data=st.data(),
    people=st.lists(identities, min_size=2, max_size=30, unique_by=canonical),
)
def test_search_returns_exactly_the_matching_person_despite_token_collisions(
    data: st.DataObject, people: list[Identity]
) -> None:
    index = BlindIndex(SEARCH_KEY, bits=2)  # 4 buckets: collisions on purpose
    *stored, absent = people
    table: dict[int, list[uuid.UUID]] = {}
    rows: dict[uuid.UUID, tuple[bytes, bytes, dt.date]] = {}
    ids = []
    for person in stored:
        row_id, (last, given, birth) = uuid.uuid4(), data.draw(spelling(person))
        table.setdefault(index.token(last, given, birth), []).append(row_id)
        rows[row_id] = (
            SEARCH_KEY.encrypt(last.encode(), context=Context("person", "last_name", row_id)),
            SEARCH_KEY.encrypt(given.encode(), context=Context("person", "given_names", row_id)),
            birth,
        )
        ids.append(row_id)
    target = data.draw(st.integers(0, len(stored) - 1))
    assert _search(index, table, rows, data.draw(spelling(stored[target]))) == [ids[target]]
    assert _search(index, table, rows, data.draw(spelling(absent))) == []
