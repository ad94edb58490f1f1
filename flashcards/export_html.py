"""One self-contained HTML page showing every card as Anki shows it: the question, then the
answer with its extra and source passage. Inline CSS only, no script, no external URL (a
Content-Security-Policy forbids loading anything), and a print stylesheet for handouts."""

from __future__ import annotations

import base64
import mimetypes
from html import escape
from pathlib import Path

from flashcards.api import PreparedDeck, deck_css
from flashcards.describe import facts_line
from flashcards.export import CardView, NoteView, subdeck_groups
from flashcards.labels import labels
from flashcards.media import MediaProblem, replace_css_references, replace_references, resolve
from flashcards.models import CardType
from flashcards.notetypes import CSS as CARD_CSS
from flashcards.render import markdown_field, typography

PAGE_CSS = """\
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.5rem 1rem 3rem; background: #eef0f3; color: #1d1d1f;
  font-family: "Source Sans 3", "Segoe UI", system-ui, sans-serif; }
header.deck { max-width: 46rem; margin: 0 auto 1.5rem; }
header.deck h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
header.deck .meta { color: #555; margin: 0 0 .8rem; }
section.subdeck { max-width: 46rem; margin: 0 auto; }
section.subdeck > h2 { font-size: 1.25rem; margin: 2rem 0 .8rem; color: #333;
  border-bottom: 2px solid #c8ccd2; padding-bottom: .2rem; }
article.card { display: block; max-width: 46rem; margin: 0 auto 1rem; padding: 1rem 1.2rem;
  font-size: 19px; border-radius: 10px; background: #fdfdfb;
  box-shadow: 0 1px 3px rgba(0, 0, 0, .15); }
article.card .side-label { display: block; font-size: .65em; text-transform: uppercase;
  letter-spacing: .08em; color: #888; text-align: left; margin-bottom: .2em; }
article.card hr.answer-rule { border: 0; border-top: 1px dashed #bbb; margin: .8em 0; }
article.card .tags { margin-top: .8em; font-size: .6em; color: #888; text-align: right; }
@media print {
  body { background: #fff; padding: 0; font-size: 11pt; }
  header.deck .description { display: none; }
  section.subdeck > h2 { break-after: avoid; }
  article.card { box-shadow: none; border: 1px solid #999; border-radius: 4px;
    font-size: 12pt; break-inside: avoid; page-break-inside: avoid; margin-bottom: .5rem;
    padding: .5rem .8rem; }
  article.card .tags { display: none; }
  @page { margin: 1.5cm; }
}
"""

_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; media-src data:; "
        "font-src data:")


def _data_uri(deck_dir: Path, reference: str) -> str:
    """A file of the deck's media/ folder as a data: URI, so that the page stays one file."""
    try:
        path = resolve(deck_dir, reference)
    except MediaProblem:  # validation reported it; the page's CSP refuses to load it
        return reference
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def inline_media(fragment: str, deck_dir: Path) -> str:
    """A field's images and sounds, embedded: `<img src="data:…">`, `<audio controls>`."""
    return replace_references(
        fragment, lambda ref: _data_uri(deck_dir, ref),
        lambda ref: f'<audio controls src="{escape(_data_uri(deck_dir, ref))}"></audio>')


def _back_matter(view: NoteView, words: dict[str, str], deck_dir: Path) -> str:
    parts = []
    if view.extra:
        parts.append(f'<div class="extra">{inline_media(view.extra, deck_dir)}</div>')
    if view.source:
        parts.append(f'<div class="source"><span class="source-label">{words["source"]}</span>'
                     f"{view.source}</div>")
    return "".join(parts)


def _card(view: NoteView, card: CardView, ordinal: int, words: dict[str, str],
          deck_dir: Path) -> str:
    # The deck's CSS styles `.question` and `.answer`: a reverse card's front is the answer.
    face = "question" if view.type is CardType.CLOZE or ordinal == 0 else "answer"
    other = "answer" if face == "question" else "question"
    tags = " ".join(escape(t) for t in view.tags)
    return (
        f'<article class="card" id="{escape(view.id)}-{ordinal + 1}" '
        f'data-note="{escape(view.id)}" data-type="{view.type.value}">'
        f'<div class="front"><span class="side-label">{words["question"]}</span>'
        f'<div class="{face}">{inline_media(card.front, deck_dir)}</div></div>'
        f'<hr class="answer-rule">'
        f'<div class="back"><span class="side-label">{words["answer"]}</span>'
        f'<div class="{other}">{inline_media(card.back, deck_dir)}</div>'
        f"{_back_matter(view, words, deck_dir)}</div>"
        f'<div class="tags">{tags}</div></article>'
    )


def export_html(deck: PreparedDeck) -> str:
    """The page: the deck's title, facts and description, then every card, grouped by
    subdeck. The deck's style.css applies, its fonts and images embedded (validation refused
    anything in it that could run or load from elsewhere)."""
    config = deck.sources.config
    language = config.language
    words = labels(language)
    title = typography(config.name, language)
    sections = []
    for group in subdeck_groups(deck):
        heading = f"<h2>{escape(group.heading)}</h2>" if group.heading else ""
        cards = "\n".join(_card(view, card, i, words, deck.sources.root)
                          for view in group.views for i, card in enumerate(view.cards))
        sections.append(f'<section class="subdeck" data-deck="{escape(group.deck)}">{heading}\n'
                        f"{cards}\n</section>")
    description = markdown_field(config.description, language) if config.description else ""
    return f"""<!DOCTYPE html>
<html lang="{escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>{escape(title)}</title>
<style>
{CARD_CSS}
{replace_css_references(deck_css(deck), lambda ref: _data_uri(deck.sources.root, ref))}
{PAGE_CSS}
</style>
</head>
<body>
<header class="deck">
<h1>{escape(title)}</h1>
<p class="meta">{escape(facts_line(deck))}</p>
<div class="description">{description}</div>
</header>
{chr(10).join(sections)}
</body>
</html>
"""
