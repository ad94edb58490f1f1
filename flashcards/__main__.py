from flashcards.cli import run

run()
