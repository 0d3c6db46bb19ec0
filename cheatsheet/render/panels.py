"""The worked examples and panels as cards of their own sections (after the rules and derivations):
backpropagation through an MLP, gradient descent and Newton's step, layouts, JVP vs VJP, the kink
conventions of the catalog and the common mistakes. Their data comes from :mod:`cheatsheet.examples`,
computed from the verified catalog at build time; :mod:`templates/panels.html.j2` prints it.

This module sits in render, after the examples (it imports them); the examples import only the
format-independent card data of :mod:`cheatsheet.sheet`, which sits before both."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

from cheatsheet.sheet import Card, Formula, Section

__all__ = ["formulas_of", "panel_sections"]


def formulas_of(data: Any) -> Iterator[Formula]:
    """Every Formula inside a (nested) dataclass, tuple or mapping of example data."""
    if isinstance(data, Formula):
        yield data
    elif dataclasses.is_dataclass(data) and not isinstance(data, type):
        for f in dataclasses.fields(data):
            yield from formulas_of(getattr(data, f.name))
    elif isinstance(data, (tuple, list)):
        for item in data:
            yield from formulas_of(item)
    elif isinstance(data, dict):
        for item in data.values():
            yield from formulas_of(item)


def _card(ident: str, title: str, panel: str, data: Any) -> Card:
    return Card(
        id=ident,
        title=title,
        family="panel",
        formulas=tuple(dict.fromkeys(formulas_of(data))),
        notes=(),
        references=(),
        params=(),
        status="proved",
        evidence="",
        torch=None,
        layout="",
        scalar_plot=False,
        torch_conforms=False,
        kind="panel",
        panel=panel,
        data=data,
    )


_KINKS_PER_CARD = 15  # a card never breaks across columns: the table is cut into column-sized cards


def _kink_cards(conventions: Any) -> list[Card]:
    rows = conventions.kinks
    chunks = [rows[k : k + _KINKS_PER_CARD] for k in range(0, len(rows), _KINKS_PER_CARD)]
    cards = []
    for number, chunk in enumerate(chunks, start=1):
        suffix = f" ({number} of {len(chunks)})" if len(chunks) > 1 else ""
        cards.append(
            _card(
                f"conventions-kinks-{number}",
                f"Kink conventions{suffix}",
                "kinks",
                dataclasses.replace(conventions, kinks=chunk),
            )
        )
    return cards


def panel_sections() -> list[Section]:
    """The sections of worked examples, conventions and common mistakes, in the sheet's order."""
    # (the submodules by name: cheatsheet.examples exports functions called conventions and descent too)
    from cheatsheet.examples.conventions import conventions as conventions_panel
    from cheatsheet.examples.descent import descent
    from cheatsheet.examples.mistakes_panel import mistakes
    from cheatsheet.examples.mlp import backprop

    conventions = conventions_panel()
    return [
        Section(
            "examples",
            "Worked examples",
            (
                _card("example-backprop", "Backpropagation through a 2-layer MLP", "mlp", backprop()),
                _card("example-descent", "Gradient descent and Newton's step on a quadratic", "descent", descent()),
            ),
        ),
        Section(
            "conventions",
            "Conventions",
            (
                _card("conventions-layout", "Numerator vs denominator layout", "layout", conventions),
                _card("conventions-products", "JVP vs VJP (softmax)", "products", conventions),
                *_kink_cards(conventions),
            ),
        ),
        Section(
            "mistakes",
            "Common mistakes",
            (_card("common-mistakes", "Published wrong derivatives, rejected", "mistakes", mistakes()),),
        ),
    ]
