"""The adapters to other people's private APIs (cheatsheet.render.adapters): each is written against the
version we pin, and each fails loudly, naming the library and both versions, on any other. These tests fail
when an installed library no longer has (or has changed) the private API we use."""

from __future__ import annotations

import inspect
import io
import re
from pathlib import Path
from typing import Any

import pytest

from cheatsheet.render import adapters
from cheatsheet.render.adapters import AdapterError, require_version
from cheatsheet.render.adapters import pypdf as pypdf_adapter
from cheatsheet.render.adapters import weasyprint as weasyprint_adapter
from cheatsheet.render.adapters import ziamath as ziamath_adapter

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = {"ziamath": ziamath_adapter, "pypdf": pypdf_adapter, "weasyprint": weasyprint_adapter}


def _pins(path: Path) -> dict[str, str]:
    """``name==version`` pins of a requirements-like text (pyproject's dependency strings included)."""
    return {
        m.group(1).lower(): m.group(2)
        for m in re.finditer(r'^\s*"?([A-Za-z0-9_.-]+)==([^",\s;]+)', path.read_text(), re.M)
    }


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_each_adapter_names_the_version_we_pin(name: str) -> None:
    assert _pins(ROOT / "pyproject.toml")[name] == ADAPTERS[name].PINNED
    assert _pins(ROOT / "constraints.txt")[name] == ADAPTERS[name].PINNED


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_the_installed_library_is_the_pinned_one_with_its_private_api(name: str) -> None:
    ADAPTERS[name].check()  # raises AdapterError otherwise


def test_another_version_is_refused_naming_the_library_and_both_versions() -> None:
    with pytest.raises(AdapterError) as err:
        require_version("pypdf", "1.0.0", "pypdf.PdfWriter._add_object")
    message = str(err.value)
    assert f"pypdf {pypdf_adapter.PINNED} is installed" in message and "pypdf 1.0.0" in message
    assert "pypdf.PdfWriter._add_object" in message and "pip install 'pypdf==1.0.0'" in message
    with pytest.raises(AdapterError, match="nosuchlibrary \\(not installed\\)"):
        require_version("nosuchlibrary", "1.0", "something")


def test_a_changed_version_stops_the_adapters_before_they_reach_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(adapters, "_installed", lambda distribution: "999.0")
    for module in ADAPTERS.values():
        with pytest.raises(AdapterError, match=r"999\.0 is installed"):
            module.check()
    with pytest.raises(AdapterError, match=r"ziamath 999\.0"), ziamath_adapter.fast_row_heights():
        pass
    with pytest.raises(AdapterError, match=r"pypdf 999\.0"):
        pypdf_adapter.add_object(object(), object())
    with pytest.raises(AdapterError, match=r"weasyprint 999\.0"):
        weasyprint_adapter.page_box(object())


def test_ziamath_row_heights_are_still_what_the_speed_up_replaces() -> None:
    """``Mrow._get_height_nostretch(self, line, **kwargs)`` returns ``(ymin, ymax)``, starting from 9999 and
    -9999 ("nothing yet"), and the single-line layout reads it as such: the values our replacement returns
    for a row with nothing stretchy are ziamath's own, in its order."""
    from ziamath.nodes.mrow import Mrow

    method = Mrow.__dict__["_get_height_nostretch"]
    assert list(inspect.signature(method).parameters) == ["self", "line", "kwargs"]
    source = inspect.getsource(method)
    assert re.search(r"ymax = -9999\b", source) and re.search(r"ymin = 9999\b", source)
    assert re.search(r"return ymin, ymax\s*$", source)
    assert "rowymin, rowymax = self._get_height_nostretch(line" in inspect.getsource(Mrow._setup_single_line)
    replacement = ziamath_adapter._skipping(method)
    assert replacement(None, []) == (9999, -9999) == method(Mrow.__new__(Mrow), [])


def test_pypdf_add_object_returns_a_reference_in_the_writer() -> None:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import IndirectObject, NameObject, NumberObject

    writer = PdfWriter()
    writer.add_blank_page(10, 10)
    ref = pypdf_adapter.add_object(writer, NumberObject(42))
    assert isinstance(ref, IndirectObject) and ref.get_object() == NumberObject(42)
    writer.pages[0][NameObject("/Answer")] = ref
    buffer = io.BytesIO()
    writer.write(buffer)
    assert PdfReader(io.BytesIO(buffer.getvalue())).pages[0]["/Answer"] == NumberObject(42)


def test_weasyprint_page_box_is_the_laid_out_box_tree() -> None:
    import weasyprint

    document = weasyprint.HTML(string='<article id="a" style="height: 30px">x</article>').render()
    box = weasyprint_adapter.page_box(document.pages[0])
    found: list[Any] = []

    def walk(b: object) -> None:
        element = getattr(b, "element", None)
        if element is not None and element.get("id") == "a" and getattr(b, "element_tag", "") == "article":
            found.append(b)
        for child in getattr(b, "children", ()):
            walk(child)

    walk(box)
    assert found and float(found[0].margin_height()) == pytest.approx(30.0)
    with pytest.raises(AdapterError, match="box tree"):
        weasyprint_adapter.page_box(object())
