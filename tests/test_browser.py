"""The HTML page in a real browser: headless Debian Chromium (through Selenium and chromedriver) opens the
built cheatsheet.html from file://. Formulas are laid out, the search filters, the theme switches, anchors
scroll, the download links resolve, and a screenshot is taken.

Chromium runs with a fresh profile and everything that would reach the network switched off.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _sheet import Sheet
from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

pytestmark = pytest.mark.slow  # a real browser on the full build

WIDTH, HEIGHT = 1280, 900


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "chromium and chromium-driver are missing: run `make setup-test`"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--force-color-profile=srgb",
        f"--window-size={WIDTH},{HEIGHT}",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(options=options, service=Service(driver))
    try:
        yield drv
    finally:
        drv.quit()


@pytest.fixture
def page(browser: Any, sheet: Sheet) -> Any:
    """The built page, freshly loaded, its fonts ready."""
    browser.get("about:blank")
    browser.get(sheet.path("cheatsheet.html").as_uri())
    browser.execute_async_script("const done = arguments[0]; document.fonts.ready.then(() => done(true));")
    return browser


def visible_cards(drv: Any, selector: str = "article.card:not(.panel)") -> list[WebElement]:
    """The rule cards on screen (``selector``: which cards; panels and worked examples are not rules)."""
    return [c for c in drv.find_elements(By.CSS_SELECTOR, selector) if c.is_displayed()]


def type_search(drv: Any, text: str) -> None:
    box = drv.find_element(By.ID, "search")
    box.clear()
    box.send_keys(text)
    if not text:  # clear() fires no input event
        drv.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)


def test_page_loads_without_script_errors(page: Any, sheet: Sheet) -> None:
    """One card per rule, the title, the bundled fonts loaded, and no error in the console."""
    import json

    rules = json.loads(sheet.path("rules.json").read_text(encoding="utf-8"))["rules"]
    ids = page.execute_script("return Array.from(document.querySelectorAll('article.card[id]')).map(e => e.id)")
    assert set(rules) <= set(ids)
    assert page.title and f"<title>{page.title}</title>" in sheet.path("cheatsheet.html").read_text(encoding="utf-8")
    status = page.execute_script("return Array.from(document.fonts).map(f => f.family + ':' + f.status)")
    assert any(s.startswith(('"Termes Math":loaded', "Termes Math:loaded")) for s in status), status
    errors = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors


def test_every_formula_is_laid_out(page: Any) -> None:
    """Every <math> element (details opened) has a non-zero laid-out box; fractions are taller than a line."""
    page.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    sizes = page.execute_script(
        "return Array.from(document.querySelectorAll('math')).map(m => {"
        " const r = m.getBoundingClientRect(); return [r.width, r.height, m.textContent.slice(0, 40)]; })"
    )
    assert len(sizes) > 200
    empty = [text for w, h, text in sizes if not (w > 0 and h > 0)]
    assert not empty, f"{len(empty)} formulas have no size, e.g. {empty[:5]}"
    heights = page.execute_script(
        "const f = document.querySelector('math[display=block] mfrac'); const p = document.querySelector('p.note');"
        "return [f.closest('math').getBoundingClientRect().height, parseFloat(getComputedStyle(p).lineHeight)]"
    )
    assert heights[0] > heights[1], heights  # MathML really laid out (a fraction stacks), not flat text


def test_no_formula_sticks_out_of_its_card(page: Any) -> None:
    """Every formula (details opened) ends inside its card, or inside a box that scrolls it sideways."""
    page.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    out = page.execute_script("""
        const out = [];
        for (const m of document.querySelectorAll('article.card math')) {
          const card = m.closest('article');
          let box = card;  // the nearest box between the formula and its card that scrolls sideways, if any
          for (let e = m.parentElement; e && e !== card; e = e.parentElement) {
            if (getComputedStyle(e).overflowX !== 'visible') { box = e; break; }
          }
          const excess = m.getBoundingClientRect().right - box.getBoundingClientRect().right;
          if (box === card && excess > 0.5) out.push([card.id, excess]);
        }
        return out;""")
    assert not out, f"formulas wider than their card: {out[:10]}"


def test_search_filters_cards(page: Any) -> None:
    """Typing filters the cards and updates the count of rules; nonsense shows the empty message; clearing
    restores."""
    total = len(visible_cards(page))
    assert total > 50
    count = page.find_element(By.ID, "count")
    empty = page.find_element(By.ID, "empty")
    assert count.text == f"{total} rules" and not empty.is_displayed()

    type_search(page, "softmax")
    shown = visible_cards(page)
    assert 1 <= len(shown) < total
    assert all("softmax" in (c.get_attribute("data-search") or "").lower() for c in shown)
    assert page.find_element(By.ID, "softmax").is_displayed() and not page.find_element(By.ID, "relu").is_displayed()
    assert count.text == f"{len(shown)} rules" or (len(shown) == 1 and count.text == "1 rule")
    assert not empty.is_displayed()

    type_search(page, "zzqxv nonsense")
    assert visible_cards(page, "article.card") == [] and count.text == "0 rules" and empty.is_displayed()

    type_search(page, "")
    assert len(visible_cards(page)) == total and count.text == f"{total} rules" and not empty.is_displayed()


def test_theme_button_toggles_dark_mode(page: Any) -> None:
    """The theme button switches light <-> dark: the attribute and the page's colours change."""

    def state() -> Any:
        return page.execute_script(
            "return [document.documentElement.getAttribute('data-theme'), getComputedStyle(document.documentElement).backgroundColor + ' ' + getComputedStyle(document.body).color]"
        )

    theme0, bg0 = state()
    button = page.find_element(By.ID, "theme")
    button.click()
    theme1, bg1 = state()
    assert theme1 in ("dark", "light") and theme1 != theme0 and bg1 != bg0
    button.click()
    theme2, bg2 = state()
    assert theme2 != theme1 and bg2 != bg1
    page.execute_script("localStorage.clear()")


def test_anchor_scrolls_to_the_card(browser: Any, sheet: Sheet) -> None:
    """#softplus scrolls the page to softplus's card."""
    browser.get("about:blank")
    browser.get(sheet.path("cheatsheet.html").as_uri() + "#softplus")
    top, scrolled = browser.execute_script(
        "return [document.getElementById('softplus').getBoundingClientRect().top, window.scrollY]"
    )
    assert scrolled > 500 and -5 <= top < HEIGHT / 2, (top, scrolled)


def test_download_links_resolve(page: Any, sheet: Sheet) -> None:
    """'Download PDF' (A4 and Letter) and rules.json point to files next to the page."""
    links = page.execute_script(
        "return Array.from(document.querySelectorAll('a.download')).map(a => [a.textContent, a.href])"
    )
    targets = {Path(href.removeprefix("file://")) for _, href in links}
    names = {t.name for t in targets}
    assert names == {"cheatsheet.pdf", "cheatsheet-letter.pdf", "rules.json"}, links
    assert all(t.parent == sheet.out and t.is_file() for t in targets)
    labels = " ".join(text for text, _ in links)
    assert "PDF" in labels and "rules.json" in labels


def test_screenshot(page: Any, tmp_path: Path) -> None:
    """A screenshot of the top of the page: a real picture, not a blank one."""
    shot = tmp_path / "cheatsheet.png"
    assert page.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000
    with Image.open(shot) as image:
        assert image.size[0] >= WIDTH * 0.9 and image.size[1] >= HEIGHT * 0.5
        extrema: Any = image.convert("L").getextrema()
        assert extrema[1] - extrema[0] > 100
