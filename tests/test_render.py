"""Rendering without the full sheet: golden files of the HTML page and rules.json for a small fixed set of
representative rules, WeasyPrint's closed URL fetcher, and autoescaping.

The goldens go through the real build (``cheatsheet.build.build``) on a catalog cut down to SUBSET, so they
exercise exactly the functions the full build uses (view, render_page, export_json) while staying small
enough to review. The inlined fonts are replaced by their digests, the inlined page.css and page.js by
their names (they are the template files verbatim; the browser test exercises them). Regenerate with
``pytest tests/test_render.py --update-goldens`` and read the diff.
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from _sheet import cache_env, session_cache
from pypdf import PdfReader

import cheatsheet
import cheatsheet.catalog
from cheatsheet.build import BuildOptions, build
from cheatsheet.render.pdf import BundledOnlyFetcher, html_to_pdf
from cheatsheet.render.resources import templates_dir

#: One rule of each kind: activation (smooth, kinked with a parameter, with a far switch), vector rule,
#: loss with class-index target and reduction, matrix rule, general rule.
SUBSET = ("sigmoid", "leaky_relu", "softplus", "softmax", "cross_entropy", "logdet", "chain_rule")


def _subset_catalog(monkeypatch: pytest.MonkeyPatch, rules: tuple[Any, ...] | None = None) -> None:
    """The catalog cut down to ``rules`` (default SUBSET), without the worked examples and panels (they are
    computed from rules outside the subset)."""
    from cheatsheet.render import panels

    chosen = rules if rules is not None else tuple(r for r in cheatsheet.catalog.load() if r.id in SUBSET)
    monkeypatch.setattr(cheatsheet.catalog, "load", lambda: chosen)
    monkeypatch.setattr(panels, "panel_sections", list)


@pytest.fixture(scope="module")
def subset_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The HTML page and rules.json of the SUBSET catalog, built by the real build (session cache)."""
    out = tmp_path_factory.mktemp("subset") / "out"
    mp = pytest.MonkeyPatch()
    try:
        _subset_catalog(mp)
        with cache_env(session_cache(tmp_path_factory)):
            build(BuildOptions(out=out, formats=("html", "json"), quiet=True))
    finally:
        mp.undo()
    return {name: (out / name).read_text(encoding="utf-8") for name in ("cheatsheet.html", "rules.json")}


def _reviewable(page: str) -> str:
    """The page with the inlined fonts as digests and the inlined page.css and page.js as their names."""
    for name, marker in (
        ("page.css", "/* templates/page.css, inlined */"),
        ("page.js", "// templates/page.js, inlined"),
    ):
        text = (templates_dir() / name).read_text(encoding="utf-8")
        assert page.count(text) == 1, f"templates/{name} is not inlined verbatim (once) in the page"
        page = page.replace(text, marker)

    def digest(m: re.Match[str]) -> str:
        return f"data:{m.group(1)};sha256,{hashlib.sha256(m.group(2).encode()).hexdigest()[:16]}"

    page, fonts = re.subn(r"data:(font/[a-z0-9]+);base64,([A-Za-z0-9+/=]+)", digest, page)
    assert fonts >= 1
    return page


def test_html_golden(subset_build: dict[str, str], golden: Any) -> None:
    """tests/goldens/html/subset.html: the page of SUBSET (fonts, CSS and script aside)."""
    page = subset_build["cheatsheet.html"]
    for rule_id in SUBSET:
        assert f'id="{rule_id}"' in page
    golden("html/subset.html", _reviewable(page))


def test_rules_json_golden(subset_build: dict[str, str], golden: Any) -> None:
    """tests/goldens/json/subset.json: rules.json of SUBSET."""
    import json

    data = json.loads(subset_build["rules.json"])
    assert sorted(data["rules"]) == sorted(SUBSET)
    golden("json/subset.json", subset_build["rules.json"])


def test_page_is_self_contained(subset_build: dict[str, str]) -> None:
    """No external resource: no src/href to http(s) or file URLs, no <link> or @import, fonts as data URLs."""
    page = subset_build["cheatsheet.html"]
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|file:|//)""", page, re.IGNORECASE)
    assert "<link" not in page and "@import" not in page
    assert re.findall(r"url\(([^)]*)\)", page) and all(
        u.strip("'\"").startswith("data:") for u in re.findall(r"url\(([^)]*)\)", page)
    )


# ------------------------------------------------------------------------------ the URL fetcher
class _Counter(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """A local HTTP server that counts the requests it gets (the network, without the network)."""
    _Counter.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _doc(body: str, head: str = "") -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body><p>Sheet</p>{body}</body></html>'


def _attachments(pdf: bytes) -> list[bytes]:
    """The files embedded in a PDF: document attachments and file-attachment annotations."""
    reader: Any = PdfReader(io.BytesIO(pdf))
    found = [b"".join(contents) for contents in reader.attachments.values()]
    for page in reader.pages:
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            if annot.get("/Subtype") == "/FileAttachment":
                found.append(annot["/FS"].get_object()["/EF"]["/F"].get_object().get_data())
    return found


def test_fetcher_refuses_local_files(tmp_path: Path) -> None:
    """file:///etc/passwd and a file:// picture, and ../ escapes out of the templates folder, are refused."""
    from PIL import Image

    secret, other = tmp_path / "secret.png", tmp_path / "other.png"
    Image.new("L", (4, 4), 0).save(secret)
    Image.new("L", (4, 4), 0).save(other)
    escape = "../" * (len(templates_dir().parts) + 2) + str(other).lstrip("/")
    fetcher = BundledOnlyFetcher(templates_dir())
    pdf = html_to_pdf(
        _doc(
            f'<img src="file:///etc/passwd"><img src="{secret.as_uri()}"><img src="{escape}">'
            '<img src="fonts/../../pyproject.toml">'
        ),
        templates_dir(),
        fetcher,
    )
    assert pdf.startswith(b"%PDF")
    assert sorted(fetcher.refused) == sorted(
        ["file:///etc/passwd", secret.as_uri(), other.as_uri(), (templates_dir().parent / "pyproject.toml").as_uri()]
    )
    assert not PdfReader(io.BytesIO(pdf)).pages[0].images  # no picture made it in
    # the control: a bundled-looking but plain file:// picture loads with WeasyPrint's own fetcher
    import weasyprint

    assert (
        len(
            PdfReader(io.BytesIO(weasyprint.HTML(string=_doc(f'<img src="{secret.as_uri()}">')).write_pdf()))
            .pages[0]
            .images
        )
        == 1
    )


def test_fetcher_serves_bundled_fonts() -> None:
    """What the sheet needs still loads: a bundled font by a relative URL (and data: URLs)."""
    fetcher = BundledOnlyFetcher(templates_dir())
    head = (
        '<style>@font-face { font-family: T; src: url("fonts/texgyretermes-regular.otf"); } body { font-family: T }'
        "</style>"
    )
    pdf = html_to_pdf(
        _doc('<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22/%3E">', head),
        templates_dir(),
        fetcher,
    )
    assert fetcher.refused == []
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    resources: Any = page["/Resources"]
    fonts = [str(f.get_object()["/BaseFont"]) for f in resources["/Font"].values()]
    assert fonts and all(f.endswith("+T") for f in fonts), fonts


def test_fetcher_makes_no_network_request(server: str) -> None:
    """<link>, @import, CSS background, <img>, <object> and SVG <image> to an http URL: refused, and the
    server sees no request. (Without the fetcher WeasyPrint would fetch them: the control below.)"""
    import weasyprint

    head = (
        f'<link rel="stylesheet" href="{server}/link.css"><style>@import url("{server}/import.css");'
        f' body {{ background: url("{server}/bg.png") }}</style>'
    )
    body = (
        f'<img src="{server}/img.png"><object data="{server}/object.svg"></object>'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><image href="{server}/svg.png" width="9" height="9"/></svg>'
    )
    fetcher = BundledOnlyFetcher(templates_dir())
    html_to_pdf(_doc(body, head), templates_dir(), fetcher)
    assert _Counter.hits == []
    assert {u.rsplit("/", 1)[-1] for u in fetcher.refused} >= {
        "link.css",
        "import.css",
        "bg.png",
        "img.png",
        "object.svg",
    }
    weasyprint.HTML(string=_doc(body, head)).write_pdf()  # the default fetcher, for contrast
    assert "/link.css" in _Counter.hits and "/img.png" in _Counter.hits


def test_fetcher_refuses_attachments(tmp_path: Path) -> None:
    """<a rel=attachment href=file:...> and <link rel=attachment>: not embedded in the PDF (the default
    fetcher does embed them: the control shows the check would see it)."""
    import weasyprint

    secret = tmp_path / "hostname"
    secret.write_bytes(b"secret-token-4f9c2e")
    body = (
        f'<a rel="attachment" href="{secret.as_uri()}">notes</a>'
        '<a rel="attachment" href="file:///etc/hostname">host</a>'
    )
    head = f'<link rel="attachment" href="{secret.as_uri()}">'
    fetcher = BundledOnlyFetcher(templates_dir())
    pdf = html_to_pdf(_doc(body, head), templates_dir(), fetcher)
    assert _attachments(pdf) == []
    assert b"secret-token" not in pdf
    assert any("/etc/hostname" in u for u in fetcher.refused) and any(str(secret) in u for u in fetcher.refused)
    unsafe = weasyprint.HTML(string=_doc(body, head)).write_pdf()
    assert b"secret-token-4f9c2e" in b"".join(_attachments(unsafe))


# ------------------------------------------------------------------------------ escaping
def test_templates_autoescape(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule title and note with markup are text everywhere: escaped in the HTML page, printed literally
    in the PDF (not parsed as elements), escaped for LaTeX and for Markdown."""
    evil = dataclasses.replace(
        cheatsheet.get("sigmoid"),
        title='<script>alert("x")</script> & Sigmoid',
        notes=("<b>bold</b> & <img src=x onerror=alert(1)>",),
    )
    _subset_catalog(monkeypatch, (evil,))
    with cache_env(session_cache(tmp_path_factory)):
        build(BuildOptions(out=tmp_path, formats=("html", "pdf", "latex", "md"), papers=("a4",), quiet=True, jobs=1))
    page = (tmp_path / "cheatsheet.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>bold" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Sigmoid" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<script>") == 1  # the page's own script
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "cheatsheet.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert '<script>alert("x")</script> & Sigmoid' in re.sub(r"\s+", " ", text)
    assert "<b>bold</b> & <img src=x onerror=alert(1)>" in re.sub(r"\s+", " ", text)
    tex = (tmp_path / "cheatsheet.tex").read_text(encoding="utf-8")
    assert r'<script>alert("x")</script> \& Sigmoid' in tex
    markdown = (tmp_path / "cheatsheet.md").read_text(encoding="utf-8")
    assert '### &lt;script&gt;alert("x")&lt;/script&gt; &amp; Sigmoid (`sigmoid`)' in markdown
    assert "- &lt;b&gt;bold&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in markdown
    assert "<script" not in markdown and "<b>" not in markdown and "<img" not in markdown


def test_hollow_pictures_keep_their_box() -> None:
    """The measuring document's pictures: the <svg> element and its attributes stay, its drawing goes, and
    a formula measures the same hollow as drawn."""
    from cheatsheet.render import math as M
    from cheatsheet.render.html import hollow
    from cheatsheet.render.measure import measure
    from cheatsheet.render.resources import templates_dir

    picture = M.svg(r"\frac{\partial f}{\partial x} = \sigma(x)(1 - \sigma(x))", prefix="h-", size_px=10.4).html()
    snippet = picture + '<span class="tex">x</span>'
    empty = hollow(snippet)
    assert "<path" in snippet and "<path" not in empty
    assert empty.startswith(picture[: picture.index(">") + 1]) and empty.endswith('</svg><span class="tex">x</span>')
    assert hollow("no picture") == "no picture"
    assert hollow('<svg width="1" height="1"/>') == '<svg width="1" height="1"/>'

    def doc(body: str) -> str:
        return f'<article id="card" style="width: 40mm">{body}</article>'

    drawn, hollowed = measure(doc(snippet), templates_dir()), measure(doc(empty), templates_dir())
    assert drawn["card"].height == hollowed["card"].height > 10


def test_identifiers_and_prose_may_break_after_underscores() -> None:
    """Long ids wrap at their underscores (not mid-word), adding no character, and stay escaped."""
    from cheatsheet.render.html import identifier, prose

    assert str(identifier("binary_cross<x>")) == "<code>binary_</code><wbr><code>cross&lt;x&gt;</code>"
    assert str(identifier("relu")) == "<code>relu</code>"
    assert str(prose("see log_softmax & co")) == "see log_<wbr>softmax &amp; co"
