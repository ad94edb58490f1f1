"""The Python API: everything the CLI does, as functions.

    from flashcards import api
    project = api.Project.find()
    for result in api.build(project):
        print(result.package, result.note_count)
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from flashcards.background import Background, forbid_forks
from flashcards.changes import Plan, Planner, plan_build
from flashcards.check import CLOZE_GAP, check
from flashcards.diagnostics import Diagnostic, Report, SourceError
from flashcards.expand import expand
from flashcards.fingerprint import (
    RECORD_DIR,
    file_digest,
    inputs_digest,
    record_bytes,
    record_path,
    up_to_date,
    write_record,
)
from flashcards.gcpause import without_gc
from flashcards.grounding import Seed
from flashcards.lint import lint
from flashcards.lint_facts import lint_facts
from flashcards.load import read_text
from flashcards.lock import LOCK_NAME, lock_path, read_lock
from flashcards.models import CardType, NoteSpec
from flashcards.notetypes import NOTETYPES
from flashcards.pack import CHUNK, DeckPacker, PackedNote, collection_stamp, pack_notes
from flashcards.pack_child import Packer
from flashcards.project import Project, UsageError, deck_name_key
from flashcards.safety import check_description, check_markup, check_style, removed_markup
from flashcards.subdecks import note_decks
from flashcards.validate import DeckSources, load_deck
from flashcards.write import (
    interrupts_deferred,
    replace,
    staging_folder,
    sweep_stale,
    write_atomic,
)

if TYPE_CHECKING:  # imported where used: `coverage`, packing
    from flashcards.coverage import Coverage
    from flashcards.media import MediaPacker

STYLE_FILE = "style.css"


@dataclass
class PreparedDeck:
    """A deck after load → validate → expand → check: ready to pack."""

    sources: DeckSources
    notes: list[NoteSpec]
    seed: Seed | None
    report: Report = field(default_factory=Report)
    cards: int | None = None  # the card count, once counted

    @property
    def slug(self) -> str:
        return self.sources.slug

    def card_count(self) -> int:
        if self.cards is None:
            self.cards = sum(count_cards(note) for note in self.notes)
        return self.cards


def count_cards(note: NoteSpec) -> int:
    if note.type is CardType.CLOZE:
        return len({m.group(1) for m in CLOZE_GAP.finditer(note.fields.get("Text", ""))})
    return len(NOTETYPES[note.type].templates)


def load_seed(project: Project, sources: DeckSources) -> Seed | None:
    seed_id = sources.config.seed
    if seed_id is None:
        return None
    path = project.seed_path(seed_id)
    if path is None:
        doc = sources.documents["deck.yaml"]
        known = sorted(p.stem for p in project.seeds_dir.glob("*")) if \
            project.seeds_dir.is_dir() else []
        raise SourceError([Diagnostic(
            doc.path, f"seed {seed_id!r} not found in {project.seeds_dir}",
            f"put the article in seeds/ (its id is the file name without extension); "
            f"seeds: {', '.join(known) or 'none'}", doc.position(("seed",)), code="seed")])
    return Seed.read(path)


def load_expanded(project: Project, deck_dir: Path) -> PreparedDeck:
    """Load, validate and expand one deck: its notes, not yet checked. Raises SourceError
    when the sources themselves are invalid."""
    sources = load_deck(deck_dir)
    forget_parsed_data(sources)
    seed = load_seed(project, sources)
    return PreparedDeck(sources, expand(sources), seed)


def check_deck(deck: PreparedDeck, *, lint_on_second_core: bool = False) -> Report:
    """Every check and lint rule over an expanded deck, in the order they are reported."""
    sources, notes, seed = deck.sources, deck.notes, deck.seed
    linting = Background(len(notes) if lint_on_second_core else 0, partial(
        lint, notes, language=sources.config.language, has_seed=seed is not None,
        disabled=sources.config.lint_disable))
    report = check(notes, seed)
    linted_at = len(report.diagnostics)
    report.extend(lint_facts(sources))
    report.extend(_media_problems(sources, notes))
    report.extend(check_markup(notes))
    if removed_markup(sources.config.description):  # its position costs a positional parse
        deck_yaml = sources.documents["deck.yaml"]
        report.extend(check_description(deck_yaml.path, sources.config.description,
                                        deck_yaml.position(("description",))))
    report.extend(check_style(sources.root, STYLE_FILE))
    report.diagnostics[linted_at:linted_at] = linting.result()  # in its place, as before
    return report


def checked(deck: PreparedDeck, report: Report) -> PreparedDeck:
    """`deck` with its check report; a SourceError with every problem when it has errors."""
    if not report.ok:
        raise SourceError(report.sorted())
    deck.report = report
    return deck


@without_gc
def prepare(project: Project, deck_dir: Path) -> PreparedDeck:
    """Load, validate, expand and check one deck (a big deck is linted on a second core while
    it is checked). Raises SourceError with every problem."""
    deck = load_expanded(project, deck_dir)
    return checked(deck, check_deck(deck, lint_on_second_core=True))


def forget_parsed_data(sources: DeckSources) -> None:
    """Drop the parsed YAML of the cards and facts once validated: the models hold the same
    data (a big file's parsed data outweighs them), and positions come from the text."""
    for file, key in (("cards.yaml", "cards"), ("facts.yaml", "facts")):
        doc = sources.documents.get(file)
        if doc is not None:
            doc.item_lines(key)  # computed (and kept) while the data is there
            doc.data = None


def _media_problems(sources: DeckSources, notes: list[NoteSpec]) -> list[Diagnostic]:
    from flashcards.media import check_media

    css_file = sources.root / STYLE_FILE
    css = read_text(css_file) if css_file.is_file() else ""
    return check_media(sources.root, notes, sources.config.language, css, css_file)


def validate(project: Project, decks: Sequence[str] = ()) -> dict[str, PreparedDeck | SourceError]:
    """Validate decks; each maps to its prepared deck or to the SourceError it raised."""
    results: dict[str, PreparedDeck | SourceError] = {}
    clashes = deck_name_clashes(project)
    for deck_dir in project.deck_dirs(decks):
        try:
            if deck_dir.name in clashes:
                raise SourceError([clashes[deck_dir.name]])
            results[deck_dir.name] = prepare(project, deck_dir)
        except SourceError as exc:
            results[deck_dir.name] = exc
    return results


def deck_name_clashes(project: Project) -> dict[str, Diagnostic]:
    """Anki matches decks by name, ignoring case: two decks of one project with the same name
    would merge in every student's collection."""
    first: dict[str, Path] = {}
    clashes: dict[str, Diagnostic] = {}
    for deck_dir, doc, name in project.deck_names():
        key = deck_name_key(name)
        if key in first:
            clashes[deck_dir.name] = Diagnostic(
                doc.path, f"deck name {name!r} is already used by {first[key]}",
                "give each deck its own name: Anki matches decks by name, so the two would "
                "merge in students' collections", doc.position(("name",)), code="deck-name")
        else:
            first[key] = deck_dir / "deck.yaml"
    return clashes


@dataclass(frozen=True)
class BuildResult:
    slug: str
    package: Path
    note_count: int
    card_count: int
    plan: Plan | None  # None: the package was already up to date, nothing was done
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def summary(self) -> str:
        return self.plan.summary() if self.plan else "up to date"


def build_timestamp() -> int:
    """`SOURCE_DATE_EPOCH` when set (reproducible builds), else the current time."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value:
        try:
            return int(value)
        except ValueError:
            raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, "
                             f"not {value!r}") from None
    return int(time.time())


def deck_css(deck: PreparedDeck) -> str:
    path = deck.sources.root / STYLE_FILE
    return read_text(path) if path.exists() else ""


def plan_deck(deck: PreparedDeck, now: int, *, new_notetype_version: bool = False
              ) -> tuple[list[PackedNote], Plan]:
    """Pack every note and compare with the deck's lock: what would a build ship?"""
    packed, plan, _ = _plan_with_media(deck, now, new_notetype_version=new_notetype_version)
    return packed, plan


def _plan_with_media(deck: PreparedDeck, now: int, *, new_notetype_version: bool = False,
                     packed: list[PackedNote] | None = None
                     ) -> tuple[list[PackedNote], Plan, list[tuple[str, Path]]]:
    """`plan_deck`, and the media files the package carries, under their names in it
    (`packed`: the notes already rendered)."""
    from flashcards.media import pack_media

    config = deck.sources.config
    if packed is None:
        packed = pack_notes(deck.notes, deck.slug, config)
    media = pack_media(deck.sources.root, packed, deck_css(deck))
    plan = plan_build(deck.slug, deck.sources.root, config, deck.notes, media.notes,
                      read_lock(deck.sources.root), now, css=media.css,
                      new_notetype_version=new_notetype_version,
                      tts=config.language if config.tts else "")
    if plan.guids:  # notes re-created under a new GUID (a type change)
        return [dataclasses.replace(n, guid=plan.guids[n.id]) if n.id in plan.guids else n
                for n in media.notes], plan, media.files
    return media.notes, plan, media.files


def description_html(deck: PreparedDeck, plan: Plan) -> str:
    from flashcards.describe import deck_description

    return deck_description(deck, plan)


@dataclass(frozen=True)
class StagedDeck:
    """A deck built into a staging folder: moved into place only once every deck built."""

    result: BuildResult
    staged: Path
    lock_file: Path
    lock_bytes: bytes
    record: bytes  # the build record, kept in the output folder (fingerprint.py)
    seeds_dir: Path


def stage_deck(deck: PreparedDeck, staging: Path, out_dir: Path, now: int, seeds_dir: Path,
               *, new_notetype_version: bool = False, packer: Packer | None = None,
               note_decks: dict[str, str] | None = None) -> StagedDeck:
    """Render, plan and pack `deck` into `staging`, a chunk of notes at a time (with
    `packer`, a forked child still checking the deck renders chunks from the end and packs
    them with those this process sends; it must report no error before the package is
    made); the lock it will leave behind is returned, not written. `note_decks`: the
    notes' decks, found by the caller, which has let the cards' models go."""
    from flashcards.media import MediaPacker

    notes, config, root = deck.notes, deck.sources.config, deck.sources.root
    child = packer if packer is not None and packer.alive else None
    decks = note_decks
    if decks is None:
        decks = _note_decks(deck.sources, notes)
        _let_go(deck.sources, "cards.yaml")
    # Packing needs only the notes: the models go (with a child, the facts once it has
    # reported: should it fail first, this process checks the deck itself, facts included).
    if not child:
        _let_go(deck.sources, "facts.yaml")
    media = MediaPacker(root, deck_css(deck))
    planner = Planner(deck.slug, root, config, {n.type for n in notes}, read_lock(root), now,
                      css=media.css, new_notetype_version=new_notetype_version,
                      tts=config.language if config.tts else "")
    plan = planner.plan
    database = staging / f"{deck.slug}.anki2"
    staged = staging / f"{deck.slug}.apkg"
    note_types = [(n.id, n.type) for n in notes]
    here = None if child else DeckPacker(database, config.name, note_types)
    facts_kept = child is not None
    try:
        if child:
            child.open(decks, plan.notetypes, plan.notetype_mods, CHUNK)
        elif here:
            here.open(decks, plan.notetypes, plan.notetype_mods)
        for start in range(0, len(notes), CHUNK):
            chunk = notes[start:start + CHUNK]
            by_child = child.rendered(start) if child else None
            if child and by_child:  # rendered there: planned here from its digests
                guids, digests, files, problems = by_child
                media.merge(files, problems)
                planner.add(chunk, [PackedNote(n.id, guid, n.type, (), ())
                                    for n, guid in zip(chunk, guids, strict=True)], digests)
                child.plan(start, chunk, plan.note_ids, plan.note_mods, plan.extra_tags,
                           plan.guids)
                continue
            rendered = media.rewrite(pack_notes(chunk, deck.slug, config))
            planner.add(chunk, rendered)
            rendered = _with_guids(rendered, plan.guids)
            (child or here).add(rendered, start, plan.note_ids, plan.note_mods,
                                plan.extra_tags)
            if child and facts_kept and _checked_early(deck, child.report_if_ready()):
                _let_go(deck.sources, "facts.yaml")
                facts_kept = False
        media.raise_problems()
        planner.finish()
        if child:
            _checked_by_child(deck, child)
        description = description_html(deck, plan)
        stamp = collection_stamp(plan.note_mods, plan.notetype_mods)
        try:
            (child or here).finish(description, stamp, staged, media.files())
            lock_bytes = plan.lock.to_bytes()  # while the child zips the package
            inputs = inputs_digest(root, seeds_dir, lock_bytes)
            if child and not child.done():
                database.unlink(missing_ok=True)  # what the failed child left
                here = DeckPacker(database, config.name, note_types)
                _pack_here(here, deck, plan, decks, media)
                here.finish(description, stamp, staged, media.files())
        except sqlite3.Error as exc:  # a full disk, mostly: reported like any write error
            raise OSError(f"{exc} (writing {database.name})") from None
    finally:
        if here:
            here.close()
        database.unlink(missing_ok=True)
    cards = deck.card_count()
    record = record_bytes(inputs, file_digest(staged) or "", len(notes), cards)
    result = BuildResult(deck.slug, out_dir / f"{deck.slug}.apkg", len(notes),
                         cards, plan, (*deck.report.warnings, *plan.warnings))
    return StagedDeck(result, staged, lock_path(root), lock_bytes, record, seeds_dir)


def _pack_here(here: DeckPacker, deck: PreparedDeck, plan: Plan, decks: dict[str, str],
               media: MediaPacker) -> None:
    """The child failed: every chunk rendered again and packed here (rendering is
    deterministic; keeping every rendered note for this rare case would cost ~50 MiB at
    100,000 notes)."""
    here.open(decks, plan.notetypes, plan.notetype_mods)
    for start in range(0, len(deck.notes), CHUNK):
        chunk = deck.notes[start:start + CHUNK]
        rendered = _with_guids(media.rewrite(pack_notes(chunk, deck.slug, deck.sources.config)),
                               plan.guids)
        here.add(rendered, start, plan.note_ids, plan.note_mods, plan.extra_tags)


def _with_guids(notes: list[PackedNote], guids: dict[str, str]) -> list[PackedNote]:
    """`notes`, with the GUIDs the plan gave anew (a type change)."""
    if not guids:
        return notes
    return [dataclasses.replace(n, guid=guids[n.id]) if n.id in guids else n for n in notes]


def _note_decks(sources: DeckSources, notes: list[NoteSpec]) -> dict[str, str]:
    """The full Anki deck name of each note; none (each goes to the deck itself) when no
    card, fact or deck.yaml asks for a subdeck, the common case."""
    if (sources.config.subdecks is None and not any(c.subdeck for c in sources.cards.cards)
            and not any(f.subdeck for f in sources.facts.facts)):
        return {}
    return note_decks(sources, notes)


def _checked_early(deck: PreparedDeck, checked_by_child: tuple[Report, int] | None) -> bool:
    """Whether the child has said the deck is valid; a SourceError as soon as it says the
    deck has errors (rendering stops there)."""
    if checked_by_child is None:
        return False
    checked(deck, checked_by_child[0])
    return True


def _checked_by_child(deck: PreparedDeck, packer: Packer) -> None:
    """The child's check report (or, should the child have failed, this process's own),
    raised as a SourceError when it has errors."""
    outcome = packer.report()
    if outcome is None:
        checked(deck, check_deck(deck))
        return
    report, deck.cards = outcome
    checked(deck, report)


def commit_staged(staged: StagedDeck) -> BuildResult:
    """Move a staged package into place, update the deck's lock, then record the build."""
    record = record_path(staged.result.package)
    record.unlink(missing_ok=True)  # no stale record while the package is being replaced
    replace(staged.staged, staged.result.package)
    lock = staged.lock_file
    new = staged.lock_bytes
    if not (lock.is_file() and lock.stat().st_size == len(new) and lock.read_bytes() == new):
        write_atomic(lock, lambda handle: handle.write(new))
    write_record(lock.parent, staged.seeds_dir, staged.result.package, staged.record)
    return staged.result


@without_gc
def _stage_one(root: Path, slug: str, staging: Path, out_dir: Path, now: int,
               new_notetype_version: bool, clash: Diagnostic | None
               ) -> StagedDeck | SourceError:
    project = Project(root)
    try:
        if clash:
            raise SourceError([clash])
        deck = load_expanded(project, project.decks_dir / slug)
        return _checked_and_staged(deck, staging, out_dir, now, project.seeds_dir,
                                   new_notetype_version)
    except SourceError as exc:
        return exc


def _checked_and_staged(deck: PreparedDeck, staging: Path, out_dir: Path, now: int,
                        seeds_dir: Path, new_notetype_version: bool) -> StagedDeck:
    """Check `deck`, and pack it into `staging` once valid. A big deck is checked in a forked
    child while this process renders and plans it; the child then writes the database."""
    # The notes' decks found, and the cards' models (which checks do not need) let go,
    # before the fork: after it, each memory page that these touch is copied first (~3x
    # the time: ~30 ms at 20,000 cards).
    note_decks = _note_decks(deck.sources, deck.notes)
    _let_go(deck.sources, "cards.yaml")
    packer = Packer(deck.sources.config.name, deck.notes, partial(check_and_count, deck),
                    partial(render_notes, deck),
                    staging / f"{deck.slug}.anki2", staging / f"{deck.slug}.spool")
    try:
        if not packer.forked:
            checked(deck, check_deck(deck))
        try:
            staged = stage_deck(deck, staging, out_dir, now, seeds_dir, packer=packer,
                                new_notetype_version=new_notetype_version,
                                note_decks=note_decks)
        except Exception:  # the checks say what is wrong, as if they had run first
            if packer.forked:
                _checked_by_child(deck, packer)
            raise
    finally:
        packer.cancel()
    return staged


def render_notes(deck: PreparedDeck, start: int, stop: int
                 ) -> tuple[list[PackedNote], list[tuple[str, Path]], list[str]]:
    """notes[start:stop] rendered with their media references rewritten, the media files they
    use and the problems met (the forked child's share)."""
    from flashcards.media import MediaPacker

    media = MediaPacker(deck.sources.root, deck_css(deck))
    packed = media.rewrite(pack_notes(deck.notes[start:stop], deck.slug, deck.sources.config))
    return packed, media.files(), media.problems()


def check_and_count(deck: PreparedDeck) -> tuple[Report, int]:
    """The deck's check report, and its card count when it has no error (the forked child's
    first job)."""
    report = check_deck(deck)
    return report, deck.card_count() if report.ok else 0


def _let_go(sources: DeckSources, *files: str) -> None:
    """Drop the models of `files` (`cards.yaml`, `facts.yaml`) and their text: once the deck
    is checked, packing needs only the notes, and a big deck's models weigh more than its
    notes (~70 MiB at 100,000 cards)."""
    from flashcards.models import CardsFile, FactsFile

    if "cards.yaml" in files:
        sources.cards = CardsFile.model_construct()
    if "facts.yaml" in files:
        sources.facts = FactsFile.model_construct()
    for file in files:
        doc = sources.documents.get(file)
        if doc is not None:
            doc.data = doc.text = doc.raw = None


def build(project: Project, decks: Sequence[str] = (), out_dir: Path | None = None, *,
          new_notetype_version: bool = False, workers: int | None = None,
          progress: Callable[[str], None] | None = None) -> list[BuildResult]:
    """Build every named deck (all by default) into `out_dir` (default `dist/`), updating each
    deck's lock. Decks build in parallel, one process per deck (`workers`: at most that many;
    default one per core). No package is put in place unless every deck is valid; a
    SourceError then carries the problems of every deck. `progress(slug)` is called as each
    deck finishes."""
    out_dir = out_dir or project.root / "dist"
    deck_dirs = project.deck_dirs(decks)
    fresh = {} if new_notetype_version else unchanged(project, decks, out_dir)
    stale = [d.name for d in deck_dirs if d.name not in fresh]
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    now = build_timestamp()
    sweep_stale(out_dir, [f"{d.name}.apkg" for d in deck_dirs])
    sweep_stale(out_dir / RECORD_DIR,
                [record_path(out_dir / f"{d.name}.apkg").name for d in deck_dirs])
    for deck_dir in deck_dirs:
        sweep_stale(deck_dir, [LOCK_NAME])
    staging = staging_folder(out_dir)
    clashes = deck_name_clashes(project) if stale else {}
    try:
        jobs = [(project.root, slug, staging, out_dir, now, new_notetype_version,
                 clashes.get(slug)) for slug in stale]
        outcomes = list(_run_jobs(jobs, workers, progress))
        problems = [d for o in outcomes if isinstance(o, SourceError) for d in o.diagnostics]
        if problems:
            raise SourceError(problems)
        with interrupts_deferred():  # every package and lock in place, or Ctrl-C before
            results = {o.result.slug: commit_staged(o) for o in outcomes
                       if isinstance(o, StagedDeck)}
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not any(out_dir.iterdir()):
            out_dir.rmdir()  # a failed first build leaves no trace
    results.update(fresh)
    return [results[d.name] for d in deck_dirs]


def _run_jobs(jobs: list[tuple], workers: int | None,
              progress: Callable[[str], None] | None) -> Iterator[StagedDeck | SourceError]:
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    if workers <= 1:
        for job in jobs:
            outcome = _stage_one(*job)
            if progress:
                progress(job[1])
            yield outcome
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed  # multiprocessing: ~7 ms

    with ProcessPoolExecutor(max_workers=workers, initializer=forbid_forks) as pool:
        futures = {pool.submit(_stage_one, *job): job[1] for job in jobs}
        for future in as_completed(futures):
            if progress:
                progress(futures[future])
            yield future.result()


def prepared_or_raise(project: Project, decks: Sequence[str]) -> list[PreparedDeck]:
    """Every named deck validated; a SourceError with the problems of all when any fails."""
    results = validate(project, decks)
    problems = [d for r in results.values() if isinstance(r, SourceError) for d in r.diagnostics]
    if problems:
        raise SourceError(problems)
    return [deck for deck in results.values() if isinstance(deck, PreparedDeck)]


def unchanged(project: Project, decks: Sequence[str], out_dir: Path) -> dict[str, BuildResult]:
    """The decks whose package in `out_dir` is exactly what their inputs build."""
    fresh = {}
    for deck_dir in project.deck_dirs(decks):
        package = out_dir / f"{deck_dir.name}.apkg"
        record = up_to_date(deck_dir, project.seeds_dir, package)
        if record:
            fresh[deck_dir.name] = BuildResult(deck_dir.name, package,
                                               int(record.get("notes", 0)),
                                               int(record.get("cards", 0)), None)
    return fresh


def coverage(project: Project, deck: str) -> tuple[PreparedDeck, Coverage]:
    """How much of its seed the deck teaches."""
    from flashcards.coverage import measure

    [prepared] = prepared_or_raise(project, [deck])
    if prepared.seed is None:
        raise UsageError(f"deck {deck!r} has no seed: set `seed:` in its deck.yaml")
    return prepared, measure(prepared.seed, prepared.notes)


@without_gc
def diff(project: Project, decks: Sequence[str] = ()) -> dict[str, Plan]:
    """What the next build would change in each deck, compared with its lock."""
    now = build_timestamp()
    return {deck.slug: plan_deck(deck, now)[1] for deck in prepared_or_raise(project, decks)}
