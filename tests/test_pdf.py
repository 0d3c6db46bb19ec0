"""The PDFs of the full sheet (built once per session, see _sheet.py), read back with poppler and pypdf.

Page count and size, every rule id and title as real text, the TeX source searchable, the outline,
the metadata, the contents links, the footer, page 1 against a reference image, and fonts: only the
bundled ones are embedded, and every character of the prose has a glyph in a bundled font.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from _sheet import CatalogView, Sheet
from fontTools.ttLib import TTFont
from PIL import Image, ImageChops
from pypdf import PdfReader

from cheatsheet.render.documents import UnmappedCharacter, latex_text
from cheatsheet.render.html import prose
from cheatsheet.render.resources import templates_dir

GOLDENS = Path(__file__).parent / "goldens"
PAPERS = {"cheatsheet.pdf": (841.89, 595.28), "cheatsheet-letter.pdf": (792.0, 612.0)}  # landscape, in pt
PNG_DPI = 30


def tool(*cmd: str) -> str:
    """Run a poppler tool; it must be installed (the Makefile's setup-test step installs poppler-utils)."""
    assert shutil.which(cmd[0]), f"{cmd[0]} is missing: run `make setup-test` (poppler-utils)"
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@cache
def pdftext(path: Path, raw: bool = False) -> list[str]:
    """The text of each page (pdftotext; ``raw``: in content-stream order)."""
    text = tool("pdftotext", *(["-raw"] if raw else []), str(path), "-")
    return text.split("\f")[:-1]


@dataclass(frozen=True)
class Word:
    text: str
    x0: float  # from the left edge of the page, pt
    y0: float  # from the top edge of the page, pt
    x1: float
    y1: float


@cache
def words(path: Path) -> list[list[Word]]:
    """The words of each page with their boxes (pdftotext -bbox)."""
    pages: list[list[Word]] = []
    for line in tool("pdftotext", "-bbox", str(path), "-").splitlines():
        if "<page " in line:
            pages.append([])
        m = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if m:
            pages[-1].append(Word(html.unescape(m.group(5)), *(float(m.group(k)) for k in range(1, 5))))
    return pages


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def spaced(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# ------------------------------------------------------------------------------ pages
def test_page_count_is_the_same_for_both_papers(sheet: Sheet) -> None:
    """A4 and Letter share the drawn pages: the same count, in a sensible range (a dense cheat sheet:
    between 6 and 40 cards a page on average)."""
    counts = {name: len(PdfReader(sheet.path(name)).pages) for name in PAPERS}
    assert len(set(counts.values())) == 1, counts
    cards = sum(len(s.cards) for s in sheet.sections)
    assert cards / 40 <= counts["cheatsheet.pdf"] <= cards / 6, (counts, cards)
    assert len(sheet.page_htmls) == counts["cheatsheet.pdf"]


@pytest.mark.parametrize("name", PAPERS)
def test_page_size_is_landscape_paper(sheet: Sheet, name: str) -> None:
    """Every page's media box (and crop box) is the paper, landscape; the content box is centred on it."""
    width, height = PAPERS[name]
    for number, page in enumerate(PdfReader(sheet.path(name)).pages, start=1):
        for box in (page.mediabox, page.cropbox):
            assert abs(float(box.width) - width) < 0.5 and abs(float(box.height) - height) < 0.5, (name, number, box)
    info = tool("pdfinfo", str(sheet.path(name)))
    assert ("A4" if name == "cheatsheet.pdf" else "letter") in info


@pytest.mark.parametrize("name", PAPERS)
def test_footer_on_every_page(sheet: Sheet, name: str) -> None:
    """'page x of y', the version and the catalog fingerprint of rules.json on every page."""
    import json

    fingerprint = json.loads(sheet.path("rules.json").read_text(encoding="utf-8"))["catalog_fingerprint"]
    pages = pdftext(sheet.path(name))
    without = [
        number
        for number, text in enumerate(pages, start=1)
        if not (
            f"page {number} of {len(pages)}" in text and f"catalog {fingerprint}" in text and "cheatsheet v" in text
        )
    ]
    assert not without, (
        f"pages {without} of {name} have no footer (pushed off the page by a card taller than a column?)"
    )


# ------------------------------------------------------------------------------ text layer
@pytest.mark.parametrize("name", PAPERS)
def test_every_rule_id_and_title_is_text(sheet: Sheet, catalog: CatalogView, name: str) -> None:
    """Rule ids and titles are real text (pdftotext finds them), each section heading too."""
    text = spaced(" ".join(pdftext(sheet.path(name))))
    missing = [r.id for r in catalog.rules if r.id not in text]
    # titles spaces aside; the prose filter sets Xᵀ as X<sup>T</sup>, which poppler puts on a line of its
    # own: each run of the title between super- and subscripts must be there
    squashed = squash(text)
    for r in catalog.rules:
        runs = re.split(r"<su[bp]>.*?</su[bp]>", str(prose(r.title)))
        if not all(squash(html.unescape(run)) in squashed for run in runs):
            missing.append(r.title)
    missing += [s.title.upper() for s in catalog.sections if s.title.upper() not in text]
    assert not missing, f"not in the text layer of {name}: {missing}"


def test_tex_source_is_searchable(sheet: Sheet, catalog: CatalogView) -> None:
    """The TeX of every formula of the rule cards (function, derivative, where, kink, identity, parameter,
    derivation steps) is in the text layer; spaces aside, as poppler reads the content stream. (Panels are
    left out: their cards list every formula of their data, not only the printed ones.)"""
    text = squash(" ".join(pdftext(sheet.path("cheatsheet.pdf"), raw=True)))
    assert "\\sigma" in text and "softmax" in text and "\\frac{\\partial" in text
    printed = [c for c in catalog.cards if getattr(c, "kind", "rule") in ("rule", "derivation")]
    missing = [(c.id, f.tex) for c in printed for f in c.formulas if squash(f.tex) not in text]
    assert not missing, f"{len(missing)} formulas are not searchable, e.g. {missing[:3]}"


# ------------------------------------------------------------------------------ navigation
def _near(page_words: list[Word], text: str, x: float, y: float, column_pt: float) -> bool:
    """A word ``text`` in the column starting at x, within a line or two below y (pt from the top-left)."""
    return any(w.text == text and x - 1 <= w.x0 <= x + column_pt and -2 <= w.y0 - y <= 16 for w in page_words)


def _from_top_left(page: Any, x: float, y: float) -> tuple[float, float]:
    return x - float(page.cropbox.left), float(page.cropbox.top) - y


def test_outline_has_families_and_rules(sheet: Sheet, catalog: CatalogView) -> None:
    """Bookmarks: one per family (in the sheet's order), under it one per rule, each pointing at its
    heading or card: the destination page shows that heading or the rule id at the destination."""
    from cheatsheet.render.layout import GEOMETRY

    column_pt = GEOMETRY.column_mm * 72 / 25.4
    path = sheet.path("cheatsheet.pdf")
    reader: Any = PdfReader(path)
    outline = reader.outline
    tops = [o for o in outline if not isinstance(o, list)]
    kids = [o for o in outline if isinstance(o, list)]
    assert [t.title for t in tops] == [s.title for s in catalog.sections]
    assert len(kids) == len(tops), "every family bookmark has its rules under it"
    page_words = words(path)
    wrong = []
    for top, children, section in zip(tops, kids, catalog.sections, strict=False):
        assert len(children) == len(section.cards), section.title
        index = reader.get_destination_page_number(top)
        x, y = _from_top_left(reader.pages[index], float(top.left), float(top.top))
        if not _near(page_words[index], section.title.split()[0].upper(), x, y, column_pt):
            wrong.append(section.title)
        for child, card in zip(children, section.cards, strict=False):
            rule = getattr(card, "kind", "rule") == "rule"
            assert child.title == f"{card.title} ({card.id})" if rule else child.title.startswith(card.title)
            index = reader.get_destination_page_number(child)
            x, y = _from_top_left(reader.pages[index], float(child.left), float(child.top))
            # a rule card starts with its id on the title line; other cards (derivations, panels) with the title
            if not _near(page_words[index], card.id if rule else card.title.split()[0], x, y, column_pt):
                wrong.append(card.id)
    assert not wrong, f"bookmarks that do not point at their heading or card: {wrong}"
    assert reader.page_mode == "/UseOutlines"


def test_contents_links_on_page_1_go_to_their_section(sheet: Sheet, catalog: CatalogView) -> None:
    """Each entry of the contents block is a GoTo link (no URI) to the page and place of its heading."""
    from cheatsheet.render.layout import GEOMETRY

    column_pt = GEOMETRY.column_mm * 72 / 25.4
    path = sheet.path("cheatsheet.pdf")
    reader: Any = PdfReader(path)
    first = reader.pages[0]
    page_words = words(path)
    found: dict[str, set[tuple[int, float, float]]] = {}
    for ref in first.get("/Annots", []):
        annot = ref.get_object()
        if annot.get("/Subtype") != "/Link":
            continue
        action = annot["/A"].get_object()
        assert action["/S"] == "/GoTo", f"a link on page 1 leaves the document: {action}"
        a, b, c, d = (float(v) for v in annot["/Rect"])
        x0, x1, y0, y1 = min(a, c), max(a, c), min(b, d), max(b, d)  # WeasyPrint's rectangles are not normalized
        inside = [
            w.text
            for w in page_words[0]
            if x0 <= (w.x0 + w.x1) / 2 + float(first.cropbox.left) <= x1
            and y0 <= float(first.cropbox.top) - (w.y0 + w.y1) / 2 <= y1
        ]
        label = " ".join(t for t in inside if not t.isdigit())
        dest = action["/D"]
        target = (reader.get_page_number(dest[0].get_object()), float(dest[2]), float(dest[3]))
        if label:
            found.setdefault(label, set()).add(target)
    assert set(found) == {s.title for s in catalog.sections}, found
    for section in catalog.sections:
        ((index, x, y),) = found[section.title]  # every link of an entry goes to one place
        x, y = _from_top_left(reader.pages[index], x, y)
        assert _near(page_words[index], section.title.split()[0].upper(), x, y, column_pt), (section.title, index)


def test_metadata(sheet: Sheet) -> None:
    """Title, subject and keywords (the same as the HTML page's), an author and creator, and no dates
    (a build does not depend on the clock)."""
    page = sheet.path("cheatsheet.html").read_text(encoding="utf-8")
    title = html.unescape(re.search(r"<title>(.*?)</title>", page).group(1))  # type: ignore[union-attr]
    subject = html.unescape(re.search(r'<meta name="description" content="(.*?)">', page).group(1))  # type: ignore[union-attr]
    keywords = html.unescape(re.search(r'<meta name="keywords" content="(.*?)">', page).group(1))  # type: ignore[union-attr]
    for name in PAPERS:
        meta: Any = PdfReader(sheet.path(name)).metadata
        assert meta is not None
        assert (meta.title, meta.subject, meta["/Keywords"]) == (title, subject, keywords)
        assert "softmax" in keywords and "PyTorch" in keywords
        assert meta.author and meta.creator and meta.creator.startswith("cheatsheet ")
        assert "/CreationDate" not in meta and "/ModDate" not in meta


# ------------------------------------------------------------------------------ the picture
def _png(pdf: Path, page: int, out: Path) -> Image.Image:
    tool(
        "pdftoppm",
        "-r",
        str(PNG_DPI),
        "-gray",
        "-png",
        "-f",
        str(page),
        "-l",
        str(page),
        "-singlefile",
        str(pdf),
        str(out.with_suffix("")),
    )
    return Image.open(out).convert("L")


def _difference(a: Image.Image, b: Image.Image) -> tuple[float, float]:
    """Mean absolute difference (0-255) and the fraction of pixels that differ by more than 64."""
    diff = ImageChops.difference(a, b)
    hist = diff.histogram()
    total = a.width * a.height
    mean = sum(level * count for level, count in enumerate(hist)) / total
    return mean, sum(hist[65:]) / total


def test_page_1_looks_like_the_reference(sheet: Sheet, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Page 1 rendered at 30 dpi, compared with tests/goldens/pdf/page1.png within a tolerance: a broken
    layout (a column lost, cards overlapping, another font) fails. Regenerate with --update-goldens and
    look at the image."""
    reference = GOLDENS / "pdf" / "page1.png"
    actual = _png(sheet.path("cheatsheet.pdf"), 1, tmp_path / "page1.png")
    if request.config.getoption("--update-goldens"):
        reference.parent.mkdir(parents=True, exist_ok=True)
        actual.save(reference, optimize=True)
        return
    assert reference.exists(), f"{reference} is missing; run pytest --update-goldens and look at it"
    expected = Image.open(reference).convert("L")
    assert actual.size == expected.size, (
        f"page 1 is {actual.size} px, the reference {expected.size} (saved: {tmp_path})"
    )
    mean, changed = _difference(actual, expected)
    assert mean < 3.0 and changed < 0.02, (
        f"page 1 differs from its reference: mean difference {mean:.2f}/255, {changed:.1%} of the pixels changed; "
        f"see {tmp_path / 'page1.png'}; if the change is intended, run pytest --update-goldens"
    )
    # the measure can tell two layouts apart: page 2 is far from page 1's reference
    mean2, changed2 = _difference(_png(sheet.path("cheatsheet.pdf"), 2, tmp_path / "page2.png"), expected)
    assert mean2 > 3 * 3.0 or changed2 > 3 * 0.02, (mean2, changed2)


# ------------------------------------------------------------------------------ fonts
def _bundled_fonts() -> dict[str, TTFont]:
    return {p.name: TTFont(p) for p in sorted((templates_dir() / "fonts").glob("*.otf"))}


@pytest.mark.parametrize("name", PAPERS)
def test_only_bundled_fonts_are_embedded(sheet: Sheet, name: str) -> None:
    """pdffonts: every font is embedded; each embedded font program is one of the bundled fonts (by its
    PostScript name, read with fontTools from the embedded subset), never a system font."""
    rows = tool("pdffonts", str(sheet.path(name))).splitlines()[2:]
    assert rows
    for row in rows:
        parts = row.split()
        assert parts[-5] == "yes", f"a font is not embedded: {row}"
    allowed = {f["name"].getDebugName(6) for f in _bundled_fonts().values()}
    embedded: set[str] = set()
    reader: Any = PdfReader(sheet.path(name))
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = descendant["/FontDescriptor"].get_object()
            streams = [descriptor[k].get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor]
            assert streams, f"{font['/BaseFont']} has no embedded program"
            program = TTFont(io.BytesIO(streams[0].get_data()))
            embedded.add(program["name"].getDebugName(6) if "name" in program else str(font["/BaseFont"]))
    assert embedded and embedded <= allowed, f"fonts that are not bundled: {sorted(embedded - allowed)}"


def _visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_every_prose_character_has_a_bundled_glyph(catalog: CatalogView) -> None:
    """Titles, notes, evidence, section titles and the conventions, after the ``prose`` filter, use only
    characters that the font they are set in (or the bundled math font, their fallback) has: no
    character falls back to a system font."""
    from cheatsheet.build import _meta

    fonts = _bundled_fonts()
    cmap = {name: set(f.getBestCmap()) for name, f in fonts.items()}
    math = cmap["texgyretermes-math.otf"]
    text_fonts = {
        "termes": cmap["texgyretermes-regular.otf"],
        "heros-bold": cmap["texgyreheros-bold.otf"],
        "heros": cmap["texgyreheros-regular.otf"],
        "cursor": cmap["texgyrecursor-regular.otf"],
    }
    meta = _meta(list(catalog.rules), list(catalog.verdicts))
    pieces: list[tuple[str, str, str]] = [
        ("subtitle", "heros", meta.subtitle),
        ("conventions", "heros", meta.conventions),
        ("title", "heros-bold", meta.title),
    ]
    for section in catalog.sections:
        pieces.append((section.id, "heros-bold", section.title))
    for card in catalog.cards:
        pieces += [
            (card.id, "heros-bold", card.title),
            (card.id, "cursor", card.id),
            (card.id, "termes", card.evidence),
        ]
        pieces += [(card.id, "termes", note) for note in card.notes]
        pieces += [(card.id, "cursor", name) for name, _ in card.params]
        pieces += [(card.id, "termes", why) for why in getattr(card, "step_reasons", ())]
    missing = set()
    for where, font, text in pieces:
        for ch in _visible(str(prose(text))):
            if ch != "\n" and ord(ch) not in text_fonts[font] and ord(ch) not in math:
                missing.add((where, font, ch, f"U+{ord(ch):04X}"))
    assert not missing, f"characters without a bundled glyph: {sorted(missing)[:20]}"


def test_latex_export_maps_every_prose_character(catalog: CatalogView) -> None:
    """The prose the LaTeX export prints converts for pdflatex without an unmapped character."""
    from cheatsheet.build import _meta

    meta = _meta(list(catalog.rules), list(catalog.verdicts))
    texts = [meta.title, meta.subtitle, meta.subject, meta.keywords, meta.conventions]
    texts += [s.title for s in catalog.sections]
    for card in catalog.cards:
        if getattr(card, "kind", "rule") in ("rule", "derivation"):  # what the LaTeX export prints
            texts += [card.title, card.id, *card.notes, *(name for name, _ in card.params)]
            texts += getattr(card, "step_reasons", ())
    unmapped = set()
    for text in texts:
        try:
            latex_text(text, strict=True)
        except UnmappedCharacter as exc:
            unmapped.add(str(exc))
    assert not unmapped, "\n".join(sorted(unmapped))
