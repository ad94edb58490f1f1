"""flashcards: turn an article into spaced-repetition decks for Anki."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flashcards")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
