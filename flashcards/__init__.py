"""flashcards: turn an article into spaced-repetition decks for Anki."""

__version__ = "0.1.0"
