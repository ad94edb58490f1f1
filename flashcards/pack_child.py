"""A big deck's checks and its collection database on a second core.

A forked child checks the deck and reports; once the checks pass, it writes the collection
database from the rows this process sends while it renders and plans the next notes, then
zips the package. Nothing is written before the checks pass, and the outcome never depends on
the fork: without a child (too few notes, not Linux, another thread running), or when the
child fails, this process checks and packs by itself.

Messages go through a spool file, one per direction, and their lengths through a pipe: the
sender never waits for the receiver (a child busy checking does not read yet), and a big
report or chunk of rows never fills a pipe.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from flashcards import background
from flashcards.diagnostics import Report
from flashcards.models import CardType, NoteSpec
from flashcards.notetypes import Notetype
from flashcards.pack import DeckPacker, PackedNote

# render(start, stop) → notes[start:stop] rendered, their media files, media problems
Render = Callable[[int, int], tuple[list[PackedNote], list[tuple[str, Path]], list[str]]]
# A chunk rendered by the child: GUIDs, content digests, media files, media problems
Rendered = tuple[list[str], list[str], list[tuple[str, Path]], list[str]]

_LENGTH = struct.Struct("<Q")


class Channel:
    """One way of a conversation: pickled messages appended to a spool file, each announced
    by its length on a pipe."""

    def __init__(self, spool: Path, fd: int, *, sending: bool) -> None:
        self.fd = fd
        self.file: BinaryIO = open(spool, "wb" if sending else "rb")  # noqa: SIM115

    def send(self, message: object) -> None:
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        self.file.write(data)
        self.file.flush()
        os.write(self.fd, _LENGTH.pack(len(data)))

    def ready(self) -> bool:
        """Whether a message (or the end of the conversation) is there to receive."""
        return bool(select.select([self.fd], [], [], 0)[0])

    def receive(self) -> Any:
        """The next message; EOFError when the sender is gone."""
        header = b""
        while len(header) < _LENGTH.size:
            part = os.read(self.fd, _LENGTH.size - len(header))
            if not part:
                raise EOFError("the other side left")
            header += part
        (length,) = _LENGTH.unpack(header)
        data = self.file.read(length)
        if len(data) != length:
            raise EOFError("a message was cut short")
        return pickle.loads(data)

    def close(self) -> None:
        self.file.close()
        with contextlib.suppress(OSError):
            os.close(self.fd)


class Packer:
    """The forked child of one deck, seen from this process: a `DeckPacker` whose calls are
    sent to the child (`forked` is False when there is none: then the caller checks and
    packs here)."""

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
        if len(notes) < background.MIN_ITEMS or not background.can_fork():
            return
        self._spools = (spool.with_suffix(".to"), spool.with_suffix(".from"))
        for path in self._spools:
            path.touch()
        down_read, down_write = os.pipe()
        up_read, up_write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's exit code
            code = 1
            try:
                os.close(down_write)
                os.close(up_read)
                inbox = Channel(self._spools[0], down_read, sending=False)
                outbox = Channel(self._spools[1], up_write, sending=True)
                note_types = [(note.id, note.type) for note in notes]
                code = _serve(check, render, DeckPacker(database, deck_name, note_types),
                              len(notes), inbox, outbox)
            finally:
                os._exit(code)
        os.close(down_read)
        os.close(up_write)
        self._pid = pid
        self._outbox = Channel(self._spools[0], down_write, sending=True)
        self._inbox = Channel(self._spools[1], up_read, sending=False)
        self.forked = True

    @property
    def alive(self) -> bool:
        return self._pid is not None

    def open(self, note_decks: Mapping[str, str], notetypes: Mapping[CardType, Notetype],
             notetype_mods: Mapping[CardType, int], chunk: int) -> None:
        """Start packing, `chunk` notes at a time. Once its checks pass, the child renders
        chunks itself, from the last one back, until it meets this process (`rendered`)."""
        self._send(("open", dict(note_decks), dict(notetypes), dict(notetype_mods), chunk))

    def rendered(self, start: int) -> Rendered | None:
        """The child's rendering of the chunk from `start` on, if it is done: each note's
        GUID and content digest, the media files they use, the media problems met (None:
        render it here; the child then drops its own)."""
        while self._pid is not None and self._inbox.ready():
            if self._report is None:
                self._receive_report()
                continue
            try:
                message = self._inbox.receive()
            except (EOFError, OSError, pickle.UnpicklingError):
                self._stop(kill=True)
                break
            self._rendered[message[1]] = message[2:]
        return self._rendered.pop(start, None)

    def plan(self, first_due: int, notes: Sequence[NoteSpec], note_ids: Mapping[str, int],
             note_mods: Mapping[str, int], extra_tags: Mapping[str, tuple[str, ...]],
             guids: Mapping[str, str]) -> None:
        """Pack the child's own rendering of `notes` (from `first_due` on) with their plan:
        ids, mods, extra tags and GUIDs changed by the plan."""
        ids = [note.id for note in notes]
        self._send(("plan", first_due, [note_ids[i] for i in ids], [note_mods[i] for i in ids],
                    {i: extra_tags[i] for i in ids if i in extra_tags},
                    {i: guids[i] for i in ids if i in guids}))

    def add(self, notes: Sequence[PackedNote], first_due: int, note_ids: Mapping[str, int],
            note_mods: Mapping[str, int], extra_tags: Mapping[str, tuple[str, ...]]) -> None:
        """Notes for the child to pack once the checks pass (sent as plain tuples: a third of
        the cost of pickling the objects)."""
        ids = [note.id for note in notes]
        self._send(("add", first_due,
                    [(n.id, n.guid, n.type.value, n.fields, n.tags) for n in notes],
                    [note_ids[i] for i in ids], [note_mods[i] for i in ids],
                    {i: extra_tags[i] for i in ids if i in extra_tags}))

    def report_if_ready(self) -> tuple[Report, int] | None:
        """The checks' report and the card count, if the child has sent them already."""
        if self._report is None and self._pid is not None and self._inbox.ready():
            self._receive_report()
        return self._report

    def report(self) -> tuple[Report, int] | None:
        """The checks' report and the card count (None: the child failed; check here)."""
        if self._report is None and self._pid is not None:
            self._receive_report()
        return self._report

    def finish(self, description_html: str, stamp: int, staged: Path,
               media: list[tuple[str, Path]]) -> None:
        """Tell the child to write the collection row and zip the package into `staged`
        (`done` says when it has)."""
        self._send(("finish", description_html, stamp, str(staged), media))

    def done(self) -> bool:
        """True once the child has written the package, False when it failed (then pack
        here)."""
        if self._pid is None:
            return False
        try:
            done = self._inbox.receive() == "packed"
        except (EOFError, OSError, pickle.UnpicklingError):
            done = False
        self._stop(kill=not done)
        return done

    def cancel(self) -> None:
        """Stop the child: its work is not wanted."""
        if self._pid is not None:
            self._stop(kill=True)

    def _send(self, message: object) -> None:
        if self._pid is None:
            return
        try:
            self._outbox.send(message)
        except OSError:  # the child is gone: this process will do the work
            if self._report is None and self._inbox.ready():
                self._receive_report()  # it left after reporting errors, mostly
            self._stop(kill=True)

    def _receive_report(self) -> None:
        try:
            self._report = self._inbox.receive()
        except (EOFError, OSError, pickle.UnpicklingError):
            self._stop(kill=True)

    def _stop(self, *, kill: bool) -> None:
        pid, self._pid = self._pid, None
        if pid is None:
            return
        self._outbox.close()
        self._inbox.close()
        if kill:
            background.kill(pid)
        else:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
        for path in self._spools:
            path.unlink(missing_ok=True)

    def __del__(self) -> None:
        if getattr(self, "_pid", None) is not None:
            self.cancel()


def _serve(check: Callable[[], tuple[Report, int]], render: Render, deck: DeckPacker,
           notes: int, inbox: Channel, outbox: Channel) -> int:
    """The child's work: check, report, render chunks from the last one back while this
    process renders from the first one on, then pack what comes; its exit code."""
    report, cards = check()
    outbox.send((report, cards))
    if not report.ok:
        return 0
    message = inbox.receive()
    if message[0] != "open":
        return 1
    _, note_decks, notetypes, notetype_mods, chunk = message
    deck.open(note_decks, notetypes, notetype_mods)
    notetype_ids = {card_type: notetype.id for card_type, notetype in notetypes.items()}
    own: dict[int, list[PackedNote]] = {}
    received: deque[tuple] = deque()
    reached = -1  # the last chunk this process has rendered or planned
    for start in range(notes - 1 - (notes - 1) % chunk, -1, -chunk):
        while inbox.ready():
            message = inbox.receive()
            received.append(message)
            if message[0] in ("add", "plan"):
                reached = message[1]
        if start <= reached:
            break
        packed, files, problems = render(start, min(start + chunk, notes))
        own[start] = packed
        outbox.send(("rendered", start, [n.guid for n in packed],
                     [n.content_hash(notetype_ids[n.type]) for n in packed], files, problems))
    while True:
        message = received.popleft() if received else inbox.receive()
        kind = message[0]
        if kind == "add":  # rendered there (if here too, that is dropped)
            _, first_due, packed_notes, nids, mods, extra_tags = message
            own.pop(first_due, None)
            ids = [note[0] for note in packed_notes]
            deck.add([PackedNote(i, guid, CardType(type_), fields, tags)
                      for i, guid, type_, fields, tags in packed_notes],
                     first_due, dict(zip(ids, nids, strict=True)),
                     dict(zip(ids, mods, strict=True)), extra_tags)
        elif kind == "plan":  # rendered here
            _, first_due, nids, mods, extra_tags, guids = message
            packed = own.pop(first_due)
            if guids:
                packed = [replace(n, guid=guids[n.id]) if n.id in guids else n for n in packed]
            ids = [note.id for note in packed]
            deck.add(packed, first_due, dict(zip(ids, nids, strict=True)),
                     dict(zip(ids, mods, strict=True)), extra_tags)
        elif kind == "finish":
            _, description_html, stamp, staged, media = message
            deck.finish(description_html, stamp, Path(staged), media)
            outbox.send("packed")
            return 0
        else:
            return 1
