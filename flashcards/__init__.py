"""flashcards: turn an article into spaced-repetition decks for Anki."""

from flashcards import cached_property_shim, lazy_modules

__version__ = "0.1.0"

cached_property_shim.install()  # before genanki imports the backport (see that module)
lazy_modules.install()  # PyYAML, before genanki imports it (see that module)
