"""Benchmark: whole-process timings of flashcards against raw genanki, in one run.

    python benchmarks/bench.py                 # 1,000 / 20,000 / 100,000 cards, 3 rounds
    python benchmarks/bench.py --sizes 20000 --rounds 5 --json results.json

For each size it generates a deck of hand-written cards (and a facts deck expanding to as
many cards), then times, alternating commands within each round: raw genanki packing the
same notes built in memory (the reference), `flashcards build` from scratch, an unchanged
rebuild, a rebuild after one card's edit (the usual CI build), `flashcards validate`, and
`flashcards --version`. It reports medians, the ratio to the reference (of the medians, and
the median of each round's ratio), peak memory (max RSS of the process), CPU time (user +
system, forked children included) and notes per second.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synth import make_project  # noqa: E402

FLASHCARDS = [sys.executable, "-m", "flashcards"]


_LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
elapsed = time.perf_counter() - start
sys.stderr.write(done.stderr.decode(errors="replace"))
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
sys.exit(done.returncode)
"""


def run(command: list[str], cwd: Path) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KiB) and CPU seconds (user + system, forked children included)
    of one process, measured by a launcher process whose only child it is (so that the peak
    is that command's alone). CPU time is less sensitive than wall time to other work on the
    machine."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, *command], cwd=cwd,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    elapsed, rss, cpu = done.stdout.split()
    return float(elapsed), int(rss), float(cpu)


def clean(project: Path) -> None:
    shutil.rmtree(project / "dist", ignore_errors=True)
    (project / "decks" / "synth" / "flashcards.lock").unlink(missing_ok=True)


def edit_one(project: Path, facts: bool) -> None:
    """Change one card's text (back and forth between two wordings), as a commit would: the
    usual CI build, with a lock to compare against."""
    name, old, new = (("facts.yaml", "la définition numéro 0 ", "la définition numéro zéro ")
                      if facts else ("cards.yaml", "réponse numéro 0 ", "réponse numéro zéro "))
    path = project / "decks" / "synth" / name
    text = path.read_text(encoding="utf-8")
    if old not in text:
        old, new = new, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def measure(size: int, facts: bool, rounds: int, work: Path) -> dict:
    project = make_project(work / f"deck-{size}-{'facts' if facts else 'cards'}", size,
                           facts=facts)
    reference_out = work / "reference.apkg"
    steps = {
        "reference (raw genanki)": lambda: run([sys.executable, str(HERE / "reference.py"),
                                                str(size), str(reference_out)], HERE),
        "build": lambda: (clean(project), run([*FLASHCARDS, "build"], project))[1],
        "unchanged rebuild": lambda: run([*FLASHCARDS, "build"], project),
        "rebuild after one edit": lambda: (edit_one(project, facts),
                                           run([*FLASHCARDS, "build"], project))[1],
        "validate": lambda: run([*FLASHCARDS, "validate"], project),
        "--version": lambda: run([*FLASHCARDS, "--version"], project),
    }
    samples: dict[str, list[tuple[float, int, float]]] = {name: [] for name in steps}
    for round_number in range(rounds):
        order = list(steps)
        if round_number % 2:  # alternate, so that no step always runs after the same one
            order = order[:1] + order[1:][::-1]
        for after, step in (("build", "unchanged rebuild"),
                            ("unchanged rebuild", "rebuild after one edit")):
            order.remove(step)  # each needs the one before it just run
            order.insert(order.index(after) + 1, step)
        for name in order:
            samples[name].append(steps[name]())
    reference_times = [t for t, _, _ in samples["reference (raw genanki)"]]
    reference = statistics.median(reference_times)
    reference_rss = statistics.median(m for _, m, _ in samples["reference (raw genanki)"])
    reference_cpu = statistics.median(c for _, _, c in samples["reference (raw genanki)"])
    version = statistics.median(t for t, _, _ in samples["--version"])
    rows = {}
    for name, values in samples.items():
        seconds = statistics.median(t for t, _, _ in values)
        rss = max(m for _, m, _ in values)
        cpu = statistics.median(c for _, _, c in values)
        # Each round's time over the reference's of the same round, the median of those: a
        # drift of the machine's speed between rounds (common on a VM) cancels out.
        per_round = statistics.median(t / r for (t, _, _), r in zip(values, reference_times,
                                                                     strict=True))
        rows[name] = {"median_s": round(seconds, 3),
                      "ratio_to_reference": round(seconds / reference, 2),
                      "ratio_to_reference_per_round": round(per_round, 2),
                      "ratio_to_version": round(seconds / version, 2),
                      "peak_rss_mib": round(rss / 1024, 1),
                      "rss_ratio_to_reference": round(rss / reference_rss, 2),
                      "median_cpu_s": round(cpu, 3),
                      "cpu_ratio_to_reference": round(cpu / reference_cpu, 2),
                      "notes_per_s": round(size / seconds) if seconds else None}
    return {"cards": size, "source": "facts+templates" if facts else "hand-written",
            "rounds": rounds, "steps": rows}


def table(results: list[dict]) -> str:
    lines = ["| cards | source | step | median s | × genanki | × genanki per round | "
             "× --version | peak MiB | RSS × genanki | CPU s | CPU × genanki | notes/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        for name, row in result["steps"].items():
            lines.append(f"| {result['cards']:,} | {result['source']} | {name} | "
                         f"{row['median_s']} | {row['ratio_to_reference']} | "
                         f"{row['ratio_to_reference_per_round']} | "
                         f"{row['ratio_to_version']} | {row['peak_rss_mib']} | "
                         f"{row['rss_ratio_to_reference']} | {row['median_cpu_s']} | "
                         f"{row['cpu_ratio_to_reference']} | {row['notes_per_s']:,} |")
    return "\n".join(lines)


def compile_bytecode() -> None:
    """Compile the package's bytecode first, as `pip install` does: with
    PYTHONDONTWRITEBYTECODE set (as on some CI machines), an editable checkout would otherwise
    recompile every module at each start (~70 ms a process)."""
    import importlib.util

    spec = importlib.util.find_spec("flashcards")
    if spec and spec.submodule_search_locations:
        subprocess.run([sys.executable, "-m", "compileall", "-q",
                        *spec.submodule_search_locations], check=True)


def main() -> None:
    compile_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000, 100000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-facts", action="store_true", help="skip the facts decks")
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    results = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="flashcards-bench-") as tmp:
        for size in args.sizes:
            for facts in (False,) if args.no_facts else (False, True):
                result = measure(size, facts, args.rounds, Path(tmp))
                results.append(result)
                print(table([result]).split("\n", 2)[2], flush=True)
    print()
    print(table(results))
    # Other work on the machine skews the figures: the load average says how busy it was.
    load = {"before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()]}
    print(f"\nload average (1, 5, 15 min): before {load['before']}, after {load['after']}")
    args.json.write_text(json.dumps({"python": sys.version.split()[0], "cpus": os.cpu_count(),
                                     "load_average": load, "results": results},
                                    indent=2) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
