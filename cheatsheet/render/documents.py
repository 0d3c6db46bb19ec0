"""The LaTeX source (compiles with pdflatex, for people who want to edit the sheet) and the Markdown
version of the sheet, rendered from the same cards as the PDF and the HTML page."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cheatsheet.render.html import Meta, environment
from cheatsheet.sheet import Section

__all__ = ["latex_document", "latex_text", "markdown_document", "markdown_text", "pdflatex_math"]

# Unicode in prose -> pdflatex-safe LaTeX (math symbols in $...$). Anything else non-ASCII is an error
# in tests, so that a new character gets a mapping rather than a broken document.
_TEXT = {
    "−": "$-$",
    "σ": r"$\sigma$",
    "∂": r"$\partial$",
    "⁻": r"\textsuperscript{$-$}",
    "⁺": r"\textsuperscript{+}",
    "ⁿ": r"\textsuperscript{n}",
    "ᵃ": r"\textsuperscript{a}",
    "ˣ": r"\textsuperscript{x}",
    "ᵀ": r"\textsuperscript{T}",
    "′": r"$'$",
    "α": r"$\alpha$",
    "β": r"$\beta$",
    "γ": r"$\gamma$",
    "δ": r"$\delta$",
    "ε": r"$\varepsilon$",
    "θ": r"$\theta$",
    "λ": r"$\lambda$",
    "μ": r"$\mu$",
    "π": r"$\pi$",
    "ω": r"$\omega$",
    "Σ": r"$\Sigma$",
    "Δ": r"$\Delta$",
    "Φ": r"$\Phi$",
    "φ": r"$\varphi$",
    "ℓ": r"$\ell$",
    "·": r"$\cdot$",
    "≤": r"$\le$",
    "≥": r"$\ge$",
    "≠": r"$\ne$",
    "≈": r"$\approx$",
    "≳": r"$\gtrsim$",
    "≪": r"$\ll$",
    "±": r"$\pm$",
    "√": r"$\surd$",
    "‖": r"$\|$",
    "→": r"$\to$",
    "↦": r"$\mapsto$",
    "∞": r"$\infty$",
    "⊗": r"$\otimes$",
    "½": r"$\frac12$",
    "§": r"\S{}",
    "…": r"\dots{}",
    "\u0302": "",
    "\u0304": "",
    "𝟙": r"$\mathbf{1}$",
    "𝟏": r"$\mathbf{1}$",
    "×": r"$\times$",
    "“": "``",
    "”": "''",
    "‘": "`",
    "’": "'",
    "–": "--",
    "—": "---",
    "é": r"\'e",
    "ü": r"\"u",
    "∈": r"$\in$",
    "ρ": r"$\rho$",
    "τ": r"$\tau$",
    "η": r"$\eta$",
    "κ": r"$\kappa$",
    "ν": r"$\nu$",
    "ξ": r"$\xi$",
    "ψ": r"$\psi$",
    "Ω": r"$\Omega$",
    "Λ": r"$\Lambda$",
    "Π": r"$\Pi$",
    "Γ": r"$\Gamma$",
    "∑": r"$\sum$",
    "∏": r"$\prod$",
    "≡": r"$\equiv$",
    "⇒": r"$\Rightarrow$",
    "⇔": r"$\Leftrightarrow$",
    "∘": r"$\circ$",
    "⊙": r"$\odot$",
    "ᵢ": r"\textsubscript{i}",
    "ⱼ": r"\textsubscript{j}",
    "∝": r"$\propto$",
    "⌈": r"$\lceil$",
    "⌉": r"$\rceil$",
    "⌊": r"$\lfloor$",
    "⌋": r"$\rfloor$",
    "ˆ": "",
    "ₖ": r"\textsubscript{k}",
    "ₙ": r"\textsubscript{n}",
    "⟨": r"$\langle$",
    "⟩": r"$\rangle$",
    "ₗ": r"\textsubscript{l}",
    "ᶻ": r"\textsuperscript{z}",
    "ᵝ": r"\textsuperscript{$\beta$}",
    "∫": r"$\int$",
    "ʸ": r"\textsuperscript{y}",
    "ᵐ": r"\textsuperscript{m}",
    "⁽": r"\textsuperscript{(}",
    "⁾": r"\textsuperscript{)}",
    "ₘ": r"\textsubscript{m}",
    "⋯": r"$\cdots$",
    # the digits as superscripts and subscripts
    **{ch: rf"\textsuperscript{{{d}}}" for d, ch in enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹")},
    **{ch: rf"\textsubscript{{{d}}}" for d, ch in enumerate("₀₁₂₃₄₅₆₇₈₉")},
}
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "^": r"\^{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
}


class UnmappedCharacter(ValueError):
    """Prose contains a character the LaTeX export has no mapping for."""


def latex_text(text: str, *, strict: bool = False) -> str:
    """Prose as pdflatex-safe LaTeX; unknown non-ASCII characters become '?' (or raise when ``strict``).

    Tabs and line breaks become spaces and other control characters '?' (a NUL stops pdflatex; rule files
    refuse them, this keeps a plugin's Rule object from breaking the document)."""
    out = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in "\t\n\r":
            out.append(" ")
        elif ord(ch) < 32 or 127 <= ord(ch) < 160:
            if strict:
                raise UnmappedCharacter(f"control character U+{ord(ch):04X} in {text!r}")
            out.append("?")
        elif ord(ch) < 128:
            out.append(ch)
        elif ch == "\u0304" and out:  # a combining macron (P̄): LaTeX's macron accent over what precedes it
            out[-1] = r"\={" + out[-1] + "}"
        elif ch in _TEXT:
            out.append(_TEXT[ch])
        elif strict:
            raise UnmappedCharacter(f"no LaTeX mapping for {ch!r} (U+{ord(ch):04X}) in {text!r}")
        else:
            out.append("?")
    return "".join(out)


def pdflatex_math(tex: str) -> str:
    """Textbook LaTeX as pdflatex (amsmath) takes it: 𝟙 and the ones vector 𝟏 become \\mathbf{1}."""
    return tex.replace("𝟙", r"\mathbf{1}").replace("𝟏", r"\mathbf{1}")


# Markdown syntax that could turn text into a link, an image, a link definition, raw HTML or code: the
# backslash first (so that a user's backslash cannot undo ours), brackets (links, images, reference
# definitions), backticks (code spans), and <, > and & as entities (HTML, autolinks, entities).
_MD_ESCAPES = {"\\": "\\\\", "[": "\\[", "]": "\\]", "`": "\\`", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_SPECIAL = re.compile("[" + re.escape("".join(_MD_ESCAPES)) + "]")
_MD_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")
_MD_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def markdown_text(text: str) -> str:
    """Prose for Markdown as text, whatever it holds (a title or a note may come from a user's rule file).

    ``[x](javascript:...)``, ``![](file:///...)``, ``[x]: url`` definitions, ``<javascript:...>``
    autolinks, HTML and code spans come out as the characters typed, never as links, images or HTML: the
    backslash, brackets and backticks are backslash-escaped, ``&``, ``<`` and ``>`` written as entities.
    Line breaks become spaces (a note is one list item: a line break could start a heading or a link
    definition) and other control characters are dropped.
    """
    text = _MD_CONTROL.sub("", _MD_BREAKS.sub(" ", text))
    return _MD_SPECIAL.sub(lambda m: _MD_ESCAPES[m.group()], text)


def _md_math(tex: str) -> str:
    return re.sub(r"\s+", " ", tex).strip()


def latex_document(sections: Sequence[Section], meta: Meta) -> str:
    """The whole sheet as a LaTeX document (article, landscape, three columns, amsmath)."""
    env = environment()
    env.filters.setdefault("tex", latex_text)
    env.filters.setdefault("texmath", pdflatex_math)
    return env.get_template("sheet.tex.j2").render(sections=sections, meta=meta)


def markdown_document(sections: Sequence[Section], meta: Meta) -> str:
    """The whole sheet as Markdown with $...$ math (GitHub renders it)."""
    env = environment()
    env.filters.setdefault("mdmath", _md_math)
    env.filters.setdefault("md", markdown_text)
    return env.get_template("sheet.md.j2").render(sections=sections, meta=meta)
