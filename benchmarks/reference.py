"""The reference: raw genanki packing the same notes, built in memory (no parsing, no checks).

Run as a script: `python benchmarks/reference.py CARDS OUT.apkg`."""

from __future__ import annotations

import sys

import genanki
from synth import SOURCES, TYPES

MODEL = genanki.Model(1_607_392_319, "Reference", fields=[{"name": "Front"}, {"name": "Back"},
                                                         {"name": "Extra"}, {"name": "Source"}],
                      templates=[{"name": "Card 1", "qfmt": "{{Front}}",
                                  "afmt": "{{FrontSide}}<hr id=answer>{{Back}}"}])
CLOZE = genanki.Model(1_607_392_320, "Reference cloze",
                      fields=[{"name": "Text"}, {"name": "Extra"}, {"name": "Source"}],
                      templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}",
                                  "afmt": "{{cloze:Text}}"}], model_type=genanki.Model.CLOZE)


def main(count: int, out: str) -> None:
    deck = genanki.Deck(2_059_400_110, "Reference")
    for i in range(count):
        source = SOURCES[i % len(SOURCES)]
        if TYPES[i % len(TYPES)] == "cloze":
            fields = [f"La carte numéro {i} porte sur {{{{c1::le fait {i}}}}} de l’article.",
                      f"Note {i} au verso.", source]
            model = CLOZE
        else:
            fields = [f"Quelle est la réponse numéro {i} sur <em>Dojo</em> ?",
                      f"La réponse {i}, avec du <strong>gras</strong>", f"Note {i} au verso.",
                      source]
            model = MODEL
        deck.add_note(genanki.Note(model=model, fields=fields, tags=[f"t{i % 7}"],
                                   guid=genanki.guid_for("ref", i)))
    genanki.Package(deck).write_to_file(out, timestamp=1_700_000_000)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2])
