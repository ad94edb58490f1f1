"""The HTML export in a real headless Chromium (Debian's, driven by Playwright): every card is
on the page and visible, question before answer before source, nothing is loaded from
anywhere, and the print stylesheet keeps cards whole on paper."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from flashcards import api
from flashcards.export import ExportFormat, export
from tests.helpers import MEDIA_CARDS, STARTER_CARDS, STARTER_FACTS, add_media

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


def _distinct_colours(browser: Browser, png: bytes) -> int:
    """Decode a screenshot with the browser's own PNG decoder and count its colours."""
    page = browser.new_page()
    try:
        page.set_content(f'<img id="shot" src="data:image/png;base64,'
                         f'{base64.b64encode(png).decode()}">')
        page.wait_for_function("document.getElementById('shot').complete")
        return page.evaluate("""() => {
            const img = document.getElementById('shot');
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const context = canvas.getContext('2d');
            context.drawImage(img, 0, 0);
            const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
            const colours = new Set();
            for (let i = 0; i < data.length; i += 4)
                colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
            return colours.size;
        }""")
    finally:
        page.close()


@pytest.fixture
def handout(project, write_deck) -> tuple[Path, int]:
    write_deck("demo", deck="""
        name: Démo Dojo
        language: fr
        seed: tesla-dojo-2025-08-15.fr
        description: Un paquet **d'essai**.
        licence: CC BY-SA 4.0
        tags: [dojo]
        """, cards=STARTER_CARDS, facts=STARTER_FACTS)
    (project / "decks" / "demo" / "style.css").write_text(
        ".question { text-decoration: underline; }\n", encoding="utf-8")
    [result] = export(api.Project(project), format=ExportFormat.HTML)
    return result.path, result.cards


def _open(browser: Browser, path: Path) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    return page, requests


def test_every_card_is_visible_question_then_answer_then_source(browser, handout):
    path, card_count = handout
    page, requests = _open(browser, path)
    try:
        assert requests == [path.as_uri()]  # self-contained: nothing else is fetched
        assert page.locator("script").count() == 0
        assert page.title() == "Démo Dojo"
        meta = page.locator("header .meta").inner_text()
        assert "8 cartes" in meta and "article du 15 août 2025" in meta
        cards = page.locator("article.card")
        assert cards.count() == card_count == 8
        for i in range(card_count):
            card = cards.nth(i)
            card.scroll_into_view_if_needed()
            assert card.is_visible()
            box = card.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 60

        first = page.locator("article.card[data-note='abandon']")
        text = first.inner_text()
        question = "Quel projet de supercalculateur Tesla a-t-il abandonné\u202f?"
        assert text.index(question) < text.index("Dojo") < text.index(
            "Tesla a mis un terme à son ambitieux projet de supercalculateur")
        reverse = page.locator("article.card[data-note='ai5-maker']")
        assert reverse.count() == 2  # both directions, as Anki makes two cards
        assert reverse.nth(1).locator(".front").inner_text().endswith("fabriquée par TSMC")
        cloze = page.locator("article.card[data-note='unveiled']")
        assert cloze.locator(".front").inner_text().endswith("dévoilé en […].")
        assert first.locator(".question").evaluate(  # the deck's own style.css applies
            "e => getComputedStyle(e).textDecorationLine") == "underline"
        gap = cloze.locator(".back .cloze")
        assert gap.inner_text() == "2021"
        assert gap.evaluate("e => getComputedStyle(e).fontWeight") == "700"

        screenshot = page.screenshot(full_page=True)
        assert _distinct_colours(browser, screenshot) > 20  # text, rules, shadows: not blank
        assert _distinct_colours(browser, first.screenshot()) > 10
    finally:
        page.close()


def test_print_stylesheet_keeps_cards_whole(browser, handout):
    path, card_count = handout
    page, _ = _open(browser, path)
    try:
        screen_tags = page.locator("article.card .tags").first
        assert screen_tags.is_visible()
        page.emulate_media(media="print")
        cards = page.locator("article.card")
        assert cards.count() == card_count
        assert all(cards.nth(i).is_visible() for i in range(card_count))
        assert cards.first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
        assert not screen_tags.is_visible()  # tags are for the screen only
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == \
            "rgb(255, 255, 255)"
        pdf = page.pdf(format="A4")
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(
            b"/Type /Page ") + pdf.count(b"/Type/Page") >= 1
    finally:
        page.close()


def test_the_shipped_deck_exports_a_readable_page(browser, tmp_path):
    from tests.conftest import REPO

    [result] = export(api.Project(REPO), ["dojo"], ExportFormat.HTML, tmp_path)
    page, requests = _open(browser, result.path)
    try:
        assert requests == [result.path.as_uri()]
        cards = page.locator("article.card")
        assert cards.count() == result.cards
        last = cards.nth(result.cards - 1)
        last.scroll_into_view_if_needed()
        assert last.is_visible() and last.bounding_box()["height"] > 60
        headings = page.locator("section.subdeck > h2").all_inner_texts()
        assert {"Personnes", "Dates", "Chiffres"} <= set(headings)  # grouped by subdeck
    finally:
        page.close()


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain-colour PNG, made with the standard library."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def test_images_and_sounds_are_embedded(browser, project, write_deck):
    folder = write_deck("demo", cards=MEDIA_CARDS)
    add_media(folder, {"carte.png": _png(40, 30, (200, 30, 30)), "lecture.mp3": b"ID3",
                       "fond.png": _png(4, 4, (30, 30, 200))})
    (folder / "style.css").write_text(".question { background-image: url(media/fond.png); }\n",
                                      encoding="utf-8")
    [result] = export(api.Project(project), format=ExportFormat.HTML)
    page, requests = _open(browser, result.path)
    try:
        assert requests == [result.path.as_uri()]
        image = page.locator("article.card img")
        assert image.get_attribute("src").startswith("data:image/png;base64,")
        assert image.evaluate("e => [e.naturalWidth, e.naturalHeight]") == [40, 30]
        assert image.is_visible()
        audio = page.locator("article.card audio")
        assert audio.get_attribute("src").startswith("data:audio/")
        assert "sound:" not in page.locator("article.card").inner_text()
        background = page.locator("article.card .question").evaluate(
            "e => getComputedStyle(e).backgroundImage")
        assert background.startswith('url("data:image/png;base64,')  # the deck CSS's image
    finally:
        page.close()
