"""`flashcards` (`cli.run`) ends a successful command without tearing the interpreter down,
after what that end would do first: the exit handlers, the output flushed."""

from __future__ import annotations

from tests.helpers import STARTER_CARDS, run_python

_RUN = """
import atexit, os, sys
import flashcards
from flashcards.cli import run

class TornDown:
    def __del__(self):
        os.write(2, b"torn down\\n")

flashcards.kept = TornDown()  # freed when the interpreter tears its modules down
atexit.register(lambda: print("exit handler ran"))
sys.argv = ["flashcards", *sys.argv[1:]]
run()
"""


def test_a_build_ends_without_teardown_after_exit_handlers_and_output(project, write_deck):
    write_deck("demo", cards=STARTER_CARDS)
    done = run_python(_RUN, project, "build")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == [done.stdout.splitlines()[-2], "exit handler ran"]
    assert "demo:" in done.stdout and (project / "dist" / "demo.apkg").exists()
    assert "torn down" not in done.stderr


def test_a_failed_command_ends_as_usual(project, write_deck):
    write_deck("demo", cards="cards:\n  - id: a\n    question: Q\n")
    done = run_python(_RUN, project, "build")
    assert done.returncode == 1
    assert "cards.yaml:2" in done.stdout + done.stderr
    assert "exit handler ran" in done.stdout and "torn down" in done.stderr


def test_a_build_with_a_thread_still_running_waits_for_it(project, write_deck):
    """As the interpreter's end does: a thread that is not a daemon is waited for."""
    write_deck("demo", cards=STARTER_CARDS)
    code = ("import os, sys, threading, time\n"
            "def late():\n"
            "    while not os.path.exists('dist/demo.apkg'): time.sleep(0.01)\n"
            "    time.sleep(0.3)\n"  # the build has ended by then
            "    print('thread done')\n"
            "threading.Thread(target=late).start()\n"
            "sys.argv = ['flashcards', 'build']\n"
            "from flashcards.cli import run; run()\n")
    done = run_python(code, project)
    assert done.returncode == 0 and done.stdout.splitlines()[-1] == "thread done"
