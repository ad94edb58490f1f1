"""A chunk's rows travel flat (one list of values for its notes, one for its cards), by
marshal when they are plain values, and are inserted many rows a statement: the database must
be byte for byte the one written a row a statement, and every message must arrive as sent."""

from __future__ import annotations

import os
import pathlib
import random
import sqlite3
import tempfile
from pathlib import Path

import genanki
import pytest
from genanki.apkg_schema import APKG_SCHEMA
from hypothesis import given, settings
from hypothesis import strategies as st

from flashcards import pack, pack_child
from flashcards.models import CardType
from flashcards.notetypes import NOTETYPES
from flashcards.pack import CARD_WIDTH, NOTE_WIDTH, CollectionWriter, _Model

# Texts that SQLite's integer affinity (sfld) turns into numbers, and texts it keeps.
_TEXTS = st.one_of(st.text(max_size=30), st.integers(-10**6, 10**6).map(str),
                   st.sampled_from(["1.5", " 7", "0x1f", "1e3", "\x1f", "é\u202f?", ""]))
_INTS = st.integers(-2**63, 2**63 - 1)


def _rows(pick: random.Random, count: int, texts: list[str], width: int) -> list[tuple]:
    """`count` rows of unique ids, each value an int or (where a note has texts) a text."""
    ids = pick.sample(range(2**40), count)
    text_columns = {1, 4, 5, 6} if width == NOTE_WIDTH else set()
    return [(row_id, *(pick.choice(texts) if column in text_columns
                       else pick.randrange(-2**63, 2**63) for column in range(1, width)))
            for row_id in ids]


def _written(folder: Path, name: str, chunks: list[tuple[list[tuple], list[tuple]]],
             many: bool) -> bytes:
    """The database of `chunks` written many rows a statement (flat rows, as packing does)
    or one row a statement (the general way: one INSERT a row)."""
    database = folder / name
    writer = CollectionWriter(database)
    for notes, cards in chunks:
        if many:
            writer.add([v for row in notes for v in row], [v for row in cards for v in row])
        else:
            writer.cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,-1,?,?,?,0,0,'')",
                                      notes)
            writer.cursor.executemany(
                "INSERT INTO cards VALUES(?,?,?,?,?,-1,0,0,?,0,0,0,0,0,0,0,0,'')", cards)
    writer.connection.commit()
    writer.close()
    return database.read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 260), min_size=1, max_size=4),
       st.lists(_TEXTS, min_size=1, max_size=12), st.integers(0, 2**32))
def test_many_rows_a_statement_write_the_same_bytes(sizes: list[int], texts: list[str],
                                                     seed: int) -> None:
    pick = random.Random(seed)  # the rows' values: too many for Hypothesis to draw
    notes = _rows(pick, sum(sizes), texts, NOTE_WIDTH)
    cards = _rows(pick, pick.randrange(3 * sum(sizes) + 1), texts, CARD_WIDTH)
    chunks, start = [], 0
    for size in sizes:  # rows spread over chunks, the cards in proportion
        stop = start + size
        chunks.append((notes[start:stop], cards[start * 3:stop * 3]))
        start = stop
    with tempfile.TemporaryDirectory() as folder:
        many = _written(Path(folder), "many.anki2", chunks, many=True)
        one = _written(Path(folder), "one.anki2", chunks, many=False)
    assert many == one


def test_the_statements_hold_at_most_999_parameters() -> None:
    """SQLite before 3.32 takes no more (the limit packing relies on everywhere)."""
    for inserts, width in ((pack._NOTE_INSERTS, NOTE_WIDTH), (pack._CARD_INSERTS, CARD_WIDTH)):
        assert [size for size, _ in inserts][-1] == 1
        for size, statement in inserts:
            assert statement.count("?") == size * width <= 999
            connection = sqlite3.connect(":memory:")
            connection.executescript(APKG_SCHEMA)
            connection.execute(statement, list(range(size * width)))  # a valid statement
            connection.close()


_PLAIN = st.recursive(
    st.one_of(st.none(), st.booleans(), _INTS, st.integers(), _TEXTS, st.binary(max_size=8),
              st.floats(allow_nan=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.tuples(inner, inner),
                            st.dictionaries(_TEXTS, inner, max_size=4)),
    max_leaves=30)


class _Text(str):
    pass


def _shape(value: object) -> object:
    """`value` with every container's and scalar's exact type, for an exact comparison."""
    if isinstance(value, list | tuple):
        return type(value), [_shape(v) for v in value]
    if isinstance(value, dict):
        return dict, [(_shape(k), _shape(v)) for k, v in value.items()]
    return type(value), value


@pytest.fixture(scope="module")
def channel():
    with tempfile.TemporaryDirectory() as folder:
        spool = Path(folder) / "spool"
        spool.touch()
        read, write = os.pipe()
        outbox = pack_child.Channel(spool, write, sending=True)
        inbox = pack_child.Channel(spool, read, sending=False)
        yield outbox, inbox
        outbox.close()
        inbox.close()


@settings(max_examples=200, deadline=None)
@given(_PLAIN, st.booleans())
def test_a_message_arrives_as_sent(channel, message: object, plain: bool) -> None:
    outbox, inbox = channel
    outbox.send(message, plain=plain)
    assert _shape(inbox.receive()) == _shape(message)


@pytest.mark.parametrize("odd", [_Text("x"), pathlib.PurePosixPath("media/a.png"),
                                 CardType.CLOZE])
def test_a_message_marshal_cannot_send_goes_by_pickle(channel, odd: object) -> None:
    outbox, inbox = channel
    message = ("rows", 1, [1, "a", (2, {"b": [odd]})])
    outbox.send(message, plain=True)
    received = inbox.receive()
    assert received == message and type(received[2][2][1]["b"][0]) is type(odd)


def test_a_damaged_marshalled_message_ends_the_conversation(channel) -> None:
    outbox, inbox = channel
    outbox.file.write(b"\xff\x00")
    outbox.file.flush()
    os.write(outbox.fd, pack_child._HEADER.pack(2, pack_child._MARSHAL))
    with pytest.raises(EOFError):
        inbox.receive()


_CLOZE_TEXTS = st.lists(st.one_of(
    st.sampled_from(["{{c1::a}}", "{{c2::b}}", "{{c0::z}}", "{{c9::y}}", "{{c17::q}}", "{{c1::",
                     "}}", "{{c", "::", "x", "\n", "{{c3::{{c4::d}}}}"]),
    st.integers(0, 40).map(lambda n: f"{{{{c{n}::t}}}}"), st.text(max_size=4)),
    max_size=10).map("".join)


def _cloze_models() -> list[genanki.Model]:
    """The cloze notetype, and models naming several fields, or a field they lack."""
    fields = [{"name": name} for name in ("Text", "Extra", "Source")]
    return [_Model(NOTETYPES[CardType.CLOZE], 0)] + [
        genanki.Model(1, "m", fields=fields, model_type=genanki.Model.CLOZE,
                      templates=[{"name": "c", "qfmt": front, "afmt": "{{FrontSide}}"}])
        for front in ("{{cloze:Text}}<%cloze:Extra%>", "{{cloze:Text}}{{cloze:Missing}}",
                      "{{cloze:Missing}}")]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_CLOZE_TEXTS, _CLOZE_TEXTS, _CLOZE_TEXTS), min_size=1, max_size=12))
def test_cloze_ordinals_are_genankis(texts: list[tuple[str, str, str]]) -> None:
    """Each sequence of cloze numbers met once worked out, then remembered: the cards are
    genanki's own, in its order (a set's, which depends on the order numbers come in)."""
    texts = [("{{c9::a}}{{c1::b}}", "", "{{c2::c}}"), ("{{c1::b}}{{c9::a}}", "", ""), *texts]
    for model in _cloze_models():
        ordinals = pack._cloze_ordinals(model)
        for fields in texts * 2:  # the second time, remembered
            assert ordinals(fields) == pack.card_ordinals(model, fields)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["", "a", "b c"]), min_size=4, max_size=4),
                min_size=1, max_size=20))
def test_front_back_ordinals_are_genankis(notes: list[list[str]]) -> None:
    """Each pattern of empty fields worked out once (a note without one: at once): the
    cards are genanki's own."""
    for card_type in (CardType.BASIC, CardType.REVERSE, CardType.TYPE_IN):
        model = _Model(NOTETYPES[card_type], 0)
        ordinals = pack._front_back_ordinals(model)
        for fields in notes * 2:
            assert ordinals(tuple(fields)) == pack.card_ordinals(model, tuple(fields))
