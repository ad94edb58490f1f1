"""The rows' path of a big build in one process, for callgrind: this process's side (make a
chunk's rows, send them: `Packer.add`), the child's (receive, insert: `_ChildPacking.take`),
then the collection row and the zip (`DeckPacker.finish`). Each mode runs the stages before
it too: subtract the counts of consecutive modes.

    python benchmarks/rows_stage.py 20000 MODE   # MODE: setup | rows | recv | insert | full
    PYTHONHASHSEED=0 valgrind --tool=callgrind python benchmarks/rows_stage.py 20000 full
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import make_project


def main(size: int, mode: str) -> None:
    from flashcards import api
    from flashcards.changes import plan_build
    from flashcards.expand import expand
    from flashcards.lock import read_lock
    from flashcards.pack import CHUNK, DeckPacker, NoteRows, collection_stamp, pack_notes
    from flashcards.pack_child import Channel, Packer, _ChildPacking
    from flashcards.validate import load_deck

    gc.disable()  # as a build runs (gcpause.py)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp) / "p", size)
        deck_dir = api.Project(root).decks_dir / "synth"
        sources = load_deck(deck_dir)
        notes = expand(sources)
        packed = pack_notes(notes, "synth", sources.config)
        plan = plan_build("synth", deck_dir, sources.config, notes, packed, read_lock(deck_dir),
                          1_750_000_000)
        if mode == "setup":
            return
        note_types = [(n.id, n.type) for n in packed]
        read, write = os.pipe()
        spool = Path(tmp) / "spool"
        outbox = Channel(spool, write, sending=True)
        inbox = Channel(spool, read, sending=False)
        packer = Packer.__new__(Packer)  # this process's side of a forked packer, no fork
        packer._pid, packer._outbox, packer._report = -1, outbox, None
        packer._rows = NoteRows(sources.config.name, plan.notetypes, plan.notetype_mods, {},
                                note_types)
        deck = DeckPacker(Path(tmp) / "c.anki2", sources.config.name, note_types)
        deck.open({}, plan.notetypes, plan.notetype_mods)
        child = _ChildPacking(deck, {t: n.id for t, n in plan.notetypes.items()})
        for start in range(0, len(packed), CHUNK):
            packer.add(packed[start:start + CHUNK], start, plan.note_ids, plan.note_mods,
                       plan.extra_tags)
            if mode == "recv":
                inbox.receive()
            elif mode in ("insert", "full"):
                child.take(inbox.receive())
        packer._pid = None
        if mode == "full":
            deck.finish("", collection_stamp(plan.note_mods, plan.notetype_mods),
                        Path(tmp) / "out.apkg", [])
        deck.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
