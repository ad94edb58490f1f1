"""A big deck's checks and its collection database on a second core.

A forked child checks the deck and reports; once the checks pass, it writes the collection
database from the rows this process sends while it renders and plans the next notes, then
zips the package. Nothing is written before the checks pass, and the outcome never depends on
the fork: without a child (too few notes, not Linux, another thread running), or when the
child fails, this process checks and packs by itself.

Messages go through a spool file, one per direction, and their lengths through a pipe: the
sender never waits for the receiver (a child busy checking does not read yet), and a big
report or chunk of rows never fills a pipe. A message of plain values only (the rows) goes by
marshal, cheaper both ways than pickle; anything else by pickle.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import pickle
import select
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from flashcards import background
from flashcards.diagnostics import Report
from flashcards.models import CardType, NoteSpec
from flashcards.notetypes import Notetype
from flashcards.pack import DeckPacker, NoteRows, PackedNote

# render(start, stop) → notes[start:stop] rendered, their media files, media problems
Render = Callable[[int, int], tuple[list[PackedNote], list[tuple[str, Path]], list[str]]]
# A chunk rendered by the child: GUIDs, content digests, media files, media problems
Rendered = tuple[list[str], list[str], list[tuple[str, Path]], list[str]]

# A message's length and how it is serialised (_MARSHAL or _PICKLE)
_HEADER = struct.Struct("<QB")
_MARSHAL, _PICKLE = 0, 1


class Channel:
    """One way of a conversation: marshalled or pickled messages appended to a spool file,
    each announced by its length on a pipe."""

    def __init__(self, spool: Path, fd: int, *, sending: bool) -> None:
        self.fd = fd
        try:
            self.file: BinaryIO = open(spool, "wb" if sending else "rb")  # noqa: SIM115
        except BaseException:
            os.close(fd)
            raise
        self._poll = select.poll()  # not select.select: it cannot watch a descriptor ≥ 1024
        self._poll.register(fd, select.POLLIN)

    def send(self, message: object, *, plain: bool = False) -> None:
        """`plain`: a message of exact ints, strings, lists, tuples and dicts only (none of
        their subclasses), sent by marshal (anything else fails it: then pickled)."""
        data, codec = b"", _PICKLE
        if plain:
            with contextlib.suppress(ValueError):
                data, codec = marshal.dumps(message), _MARSHAL
        if codec == _PICKLE:
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.file.write(data)
        self.file.flush()
        os.write(self.fd, _HEADER.pack(len(data), codec))

    def ready(self) -> bool:
        """Whether a message (or the end of the conversation) is there to receive."""
        return bool(self._poll.poll(0))

    def receive(self) -> Any:
        """The next message; EOFError when the sender is gone."""
        header = b""
        while len(header) < _HEADER.size:
            part = os.read(self.fd, _HEADER.size - len(header))
            if not part:
                raise EOFError("the other side left")
            header += part
        length, codec = _HEADER.unpack(header)
        data = self.file.read(length)
        if len(data) != length:
            raise EOFError("a message was cut short")
        if codec != _MARSHAL:
            return pickle.loads(data)
        try:
            return marshal.loads(data)
        except (ValueError, TypeError):
            raise EOFError("a message was damaged") from None

    def close(self) -> None:
        try:
            with contextlib.suppress(OSError):  # a full disk fails the last flush again
                self.file.close()
        finally:
            with contextlib.suppress(OSError):
                os.close(self.fd)


class Packer:
    """The forked child of one deck, seen from this process. Until its report, it checks;
    then it renders chunks from the last one back (`rendered`) and packs what it is sent:
    the calls of a `DeckPacker` (`open`, `add`, `finish`, `done`), and `plan` for a chunk it
    rendered itself. `forked` is False when there is no child: the caller checks and packs
    here; `alive` turns False when the child fails or is stopped."""

    def __init__(self, deck_name: str, notes: Sequence[NoteSpec],
                 check: Callable[[], tuple[Report, int]], render: Render, database: Path,
                 spool: Path) -> None:
        """`check()`: the deck's report and card count; `render(start, stop)`: notes[start:stop]
        rendered (media references rewritten), with the media files they use and the media
        problems met."""
        self.forked = False
        self._pid: int | None = None
        self._report: tuple[Report, int] | None = None
        self._rendered: dict[int, Rendered] = {}
        self._deck_name = deck_name
        self._note_types = [(note.id, note.type) for note in notes]
        if len(notes) < background.MIN_ITEMS or not background.can_fork():
            return
        self._spools = (spool.with_suffix(".to"), spool.with_suffix(".from"))
        for path in self._spools:
            path.touch()
        down_read, down_write = os.pipe()
        up_read, up_write = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's exit code
            code = 1
            try:
                background.die_with_parent(parent)
                os.close(down_write)
                os.close(up_read)
                inbox = Channel(self._spools[0], down_read, sending=False)
                outbox = Channel(self._spools[1], up_write, sending=True)
                code = _serve(check, render, DeckPacker(database, deck_name, self._note_types),
                              len(notes), inbox, outbox)
            finally:
                os._exit(code)
        self._pid = pid
        self.forked = True
        try:
            os.close(down_read)
            os.close(up_write)
            self._outbox = Channel(self._spools[0], down_write, sending=True)
            self._inbox = Channel(self._spools[1], up_read, sending=False)
        except BaseException:
            for fd in (down_write, up_read):
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._pid = None
            background.kill(pid)
            raise

    @property
    def alive(self) -> bool:
        return self._pid is not None

    def open(self, note_decks: Mapping[str, str], notetypes: Mapping[CardType, Notetype],
             notetype_mods: Mapping[CardType, int], chunk: int) -> None:
        """Start packing, `chunk` notes at a time."""
        self._rows = NoteRows(self._deck_name, notetypes, notetype_mods, note_decks,
                              self._note_types)
        self._send(("open", dict(note_decks), dict(notetypes), dict(notetype_mods), chunk))

    def add(self, notes: Sequence[PackedNote], first_due: int, note_ids: Mapping[str, int],
            note_mods: Mapping[str, int], extra_tags: Mapping[str, tuple[str, ...]]) -> None:
        """Notes rendered here, for the child to pack once the checks pass: their rows are
        made here (the child, busy checking first, is the longer of the two lanes)."""
        if self._pid is not None:
            self._send(("rows", first_due,
                        *self._rows.rows(notes, first_due, note_ids, note_mods, extra_tags)),
                       plain=True)

    def rendered(self, start: int) -> Rendered | None:
        """The child's rendering of the chunk from `start` on, if it is done: each note's
        GUID and content digest, the media files they use, the media problems met (None:
        render it here; the child then drops its own)."""
        self._receive_ready()
        return self._rendered.pop(start, None)

    def plan(self, first_due: int, notes: Sequence[NoteSpec], note_ids: Mapping[str, int],
             note_mods: Mapping[str, int], extra_tags: Mapping[str, tuple[str, ...]],
             guids: Mapping[str, str]) -> None:
        """Pack the child's own rendering of `notes` (from `first_due` on) with their plan:
        ids, mods, extra tags and GUIDs changed by the plan."""
        ids = [note.id for note in notes]
        self._send(("plan", first_due, [note_ids[i] for i in ids], [note_mods[i] for i in ids],
                    {i: extra_tags[i] for i in ids if i in extra_tags},
                    {i: guids[i] for i in ids if i in guids}), plain=True)

    def report_if_ready(self) -> tuple[Report, int] | None:
        """The checks' report and the card count, if the child has sent them already."""
        self._receive_ready()
        return self._report

    def report(self) -> tuple[Report, int] | None:
        """The checks' report and the card count (None: the child failed; check here)."""
        if self._report is None and self._pid is not None:
            self._receive(self._inbox.receive)
        return self._report

    def finish(self, description_html: str, stamp: int, staged: Path,
               media: list[tuple[str, Path]]) -> None:
        """Tell the child to write the collection row and zip the package into `staged`
        (`done` says when it has)."""
        self._rendered.clear()
        self._send(("finish", description_html, stamp, str(staged), media))

    def done(self) -> bool:
        """True once the child has written the package, False when it failed (then pack
        here). Renderings of chunks this process rendered too are skipped."""
        while self._pid is not None:
            try:
                message = self._inbox.receive()
            except (EOFError, OSError, pickle.UnpicklingError):
                break
            if message == "packed":
                self._stop(kill=False)
                return True
        self._stop(kill=True)
        return False

    def cancel(self) -> None:
        """Stop the child: its work is not wanted."""
        self._stop(kill=True)

    def _send(self, message: object, *, plain: bool = False) -> None:
        if self._pid is None:
            return
        try:
            self._outbox.send(message, plain=plain)
        except OSError:  # the child is gone, or the disk is full: this process does the work
            if self._report is None:
                self._receive_ready()  # it left after reporting errors, mostly
            self._stop(kill=True)

    def _receive_ready(self) -> None:
        """Take in what the child has sent so far: the report first, then renderings."""
        while self._pid is not None and self._inbox.ready():
            self._receive(self._inbox.receive)

    def _receive(self, receive: Callable[[], Any]) -> None:
        try:
            message = receive()
        except (EOFError, OSError, pickle.UnpicklingError):
            self._stop(kill=True)
            return
        if self._report is None:
            self._report = message
        else:
            self._rendered[message[1]] = message[2:]

    def _stop(self, *, kill: bool) -> None:
        pid, self._pid = self._pid, None
        if pid is None:
            return
        if kill:
            background.kill(pid)
        else:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        self._outbox.close()
        self._inbox.close()
        for path in self._spools:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def __del__(self) -> None:
        if getattr(self, "_pid", None) is not None:
            self.cancel()


def _serve(check: Callable[[], tuple[Report, int]], render: Render, deck: DeckPacker,
           note_count: int, inbox: Channel, outbox: Channel) -> int:
    """The child's work: check, report, render chunks from the last one back while this
    process renders from the first one on, packing what it sends meanwhile; its exit code."""
    report, cards = check()
    outbox.send((report, cards))
    if not report.ok:
        return 0
    message = inbox.receive()
    if message[0] != "open":
        return 1
    _, note_decks, notetypes, notetype_mods, chunk = message
    deck.open(note_decks, notetypes, notetype_mods)
    packing = _ChildPacking(deck, {t: notetype.id for t, notetype in notetypes.items()})
    for start in range(note_count - 1 - (note_count - 1) % chunk, -1, -chunk):
        while inbox.ready():  # what this process sent meanwhile: packed now, in its order
            if packing.take(inbox.receive()):
                return _packed(outbox)
        if start <= packing.reached:
            break
        packed, files, problems = render(start, min(start + chunk, note_count))
        packing.own[start] = packed
        outbox.send(("rendered", start, [n.guid for n in packed],
                     [n.content_hash(packing.notetype_ids[n.type]) for n in packed],
                     files, problems))
    while not packing.take(inbox.receive()):
        pass
    return _packed(outbox)


def _packed(outbox: Channel) -> int:
    outbox.send("packed")
    return 0


class _ChildPacking:
    """The child's side of packing: each message of this process, in its order."""

    def __init__(self, deck: DeckPacker, notetype_ids: dict[CardType, int]) -> None:
        self.deck, self.notetype_ids = deck, notetype_ids
        self.own: dict[int, list[PackedNote]] = {}  # chunks rendered here
        self.reached = -1  # the last chunk this process has rendered or planned

    def take(self, message: tuple) -> bool:
        """Pack what `message` says; True once the package is written."""
        kind = message[0]
        if kind == "rows":  # rendered there (if here too, that is dropped)
            _, first_due, note_rows, card_rows = message
            self.own.pop(first_due, None)
            self.deck.add_rows(note_rows, card_rows)
            self.reached = first_due
            return False
        if kind == "plan":  # rendered here
            _, first_due, nids, mods, extra_tags, guids = message
            packed = self.own.pop(first_due)
            if guids:
                packed = [replace(n, guid=guids[n.id]) if n.id in guids else n for n in packed]
        elif kind == "finish":
            _, description_html, stamp, staged, media = message
            self.deck.finish(description_html, stamp, Path(staged), media)
            return True
        else:
            raise ValueError(f"unexpected message {kind!r}")
        self.reached = first_due
        ids = [note.id for note in packed]
        self.deck.add(packed, first_due, dict(zip(ids, nids, strict=True)),
                      dict(zip(ids, mods, strict=True)), extra_tags)
        return False
