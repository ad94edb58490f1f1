"""Where a build's time goes, stage by stage, in one process (no profiler overhead).

    python benchmarks/stages.py 100000
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import make_project


def main(size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_project(Path(tmp) / "p", size)
        timings: list[tuple[str, float, float]] = []
        clock = time.perf_counter()

        def lap(name: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            timings.append((name, now - clock, peak))
            clock = time.perf_counter()

        from flashcards import api
        from flashcards.changes import plan_build
        from flashcards.check import check
        from flashcards.expand import expand
        from flashcards.fingerprint import file_digest
        from flashcards.gcpause import paused_gc
        from flashcards.lint import lint
        from flashcards.lock import read_lock
        from flashcards.pack import PackInput, pack_notes, write_database
        from flashcards.safety import check_markup, check_style
        from flashcards.validate import load_deck
        from flashcards.write import write_apkg, write_atomic
        lap("import the pipeline")
        pause = paused_gc()  # as api.build does
        pause.__enter__()
        project = api.Project(root)
        deck_dir = project.decks_dir / "synth"
        sources = load_deck(deck_dir)
        api.forget_parsed_data(sources)
        lap("load + validate (yaml-rs, pydantic)")
        seed = api.load_seed(project, sources)
        notes = expand(sources)
        lap("expand")
        report = check(notes, seed)
        lap("check (cloze, duplicates, grounding)")
        report.extend(lint(notes, language="fr", has_seed=True,
                           disabled=sources.config.lint_disable))
        lap("lint")
        report.extend(api._media_problems(sources, notes))
        report.extend(check_markup(notes))
        report.extend(check_style(deck_dir, api.STYLE_FILE))
        lap("media, markup and style checks")
        packed = pack_notes(notes, "synth", sources.config)
        lap("render fields (Markdown, typography, sanitise) + GUIDs")
        plan = plan_build("synth", deck_dir, sources.config, notes, packed,
                          read_lock(deck_dir), int(time.time()))
        lap("plan against the lock (hashes, mods)")
        data = PackInput(sources.config, packed, plan.note_mods, plan.note_ids, plan.extra_tags,
                         plan.notetypes, plan.notetype_mods)
        out = root / "dist"
        out.mkdir()
        write_database(data, out / "c.anki2")
        lap("pack (genanki rows, bulk insert)")
        write_apkg(out / "synth.apkg", out / "c.anki2", [])
        file_digest(out / "synth.apkg")
        lap("zip (deflate) + digest")
        lock = plan.lock.to_bytes()
        write_atomic(deck_dir / "flashcards.lock", lambda handle: handle.write(lock))
        lap("write the lock")
        total = sum(t for _, t, _ in timings)
        del sources, notes, packed, plan, data
        (deck_dir / "flashcards.lock").unlink()
        clock = time.perf_counter()
        with tempfile.TemporaryDirectory() as staging:
            api.build(project, out_dir=Path(staging))
        overlapped = time.perf_counter() - clock
        sequential = sum(t for name, t, _ in timings[1:])
        print(f"| stage ({size:,} cards) | seconds | share | peak RSS so far, MiB |\n"
              "|---|---|---|---|")
        for name, seconds, peak in timings:
            print(f"| {name} | {seconds:.2f} | {100 * seconds / total:.0f}% | {peak:.0f} |")
        print(f"| total | {total:.2f} | | |")
        print(f"\nAs `build` runs them (on two cores: the list file loaded in halves; checks "
              f"and lint in a forked child while this process renders and plans, then the "
              f"child renders from the end, writes the database and zips): {overlapped:.2f} s "
              f"instead of {sequential:.2f} s.")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
