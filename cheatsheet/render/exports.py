"""The LaTeX source (compiles with pdflatex, for people who want to edit the sheet) and the Markdown
version of the sheet, rendered from the same cards as the PDF and the HTML page."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cheatsheet.render.html import Meta, environment
from cheatsheet.render.view import Section

__all__ = ["latex_document", "latex_text", "markdown_document", "markdown_text", "pdflatex_math"]

# Unicode in prose -> pdflatex-safe LaTeX (math symbols in $...$). Anything else non-ASCII is an error
# in tests, so that a new character gets a mapping rather than a broken document.
_TEXT = {
    "−": "$-$", "σ": r"$\sigma$", "∂": r"$\partial$", "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}",
    "¹": r"\textsuperscript{1}", "⁵": r"\textsuperscript{5}", "⁻": r"\textsuperscript{$-$}", "⁺": r"\textsuperscript{+}",
    "ⁿ": r"\textsuperscript{n}", "ᵃ": r"\textsuperscript{a}", "ˣ": r"\textsuperscript{x}", "ᵀ": r"\textsuperscript{T}",
    "₀": r"\textsubscript{0}", "′": r"$'$", "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "δ": r"$\delta$",
    "ε": r"$\varepsilon$", "θ": r"$\theta$", "λ": r"$\lambda$", "μ": r"$\mu$", "π": r"$\pi$", "ω": r"$\omega$",
    "Σ": r"$\Sigma$", "Δ": r"$\Delta$", "Φ": r"$\Phi$", "φ": r"$\varphi$", "ℓ": r"$\ell$", "·": r"$\cdot$",
    "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\ne$", "≈": r"$\approx$", "≳": r"$\gtrsim$", "≪": r"$\ll$", "±": r"$\pm$",
    "√": r"$\surd$", "‖": r"$\|$", "→": r"$\to$", "↦": r"$\mapsto$", "∞": r"$\infty$", "⊗": r"$\otimes$",
    "½": r"$\frac12$", "§": r"\S{}", "…": r"\dots{}", "\u0302": "", "\u0304": "", "𝟙": r"$\mathbf{1}$",
    "𝟏": r"$\mathbf{1}$", "×": r"$\times$",
    "“": "``", "”": "''", "‘": "`", "’": "'", "–": "--", "—": "---", "é": r"\'e", "ü": r'\"u', "∈": r"$\in$",
    "ρ": r"$\rho$", "τ": r"$\tau$", "η": r"$\eta$", "κ": r"$\kappa$", "ν": r"$\nu$", "ξ": r"$\xi$", "ψ": r"$\psi$",
    "Ω": r"$\Omega$", "Λ": r"$\Lambda$", "Π": r"$\Pi$", "Γ": r"$\Gamma$", "∑": r"$\sum$", "∏": r"$\prod$",
    "≡": r"$\equiv$", "⇒": r"$\Rightarrow$", "⇔": r"$\Leftrightarrow$", "∘": r"$\circ$", "⊙": r"$\odot$",
    "ᵢ": r"\textsubscript{i}", "ⱼ": r"\textsubscript{j}", "₁": r"\textsubscript{1}", "₂": r"\textsubscript{2}",
    "∝": r"$\propto$", "⌈": r"$\lceil$", "⌉": r"$\rceil$", "⌊": r"$\lfloor$", "⌋": r"$\rfloor$",
    "ˆ": "", "ₖ": r"\textsubscript{k}", "ₙ": r"\textsubscript{n}", "⟨": r"$\langle$", "⟩": r"$\rangle$",
    "ₗ": r"\textsubscript{l}", "ᶻ": r"\textsuperscript{z}", "ᵝ": r"\textsuperscript{$\beta$}", "∫": r"$\int$",
}
_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#", "^": r"\^{}",
            "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}"}


class UnmappedCharacter(ValueError):
    """Prose contains a character the LaTeX export has no mapping for."""


def latex_text(text: str, *, strict: bool = False) -> str:
    """Prose as pdflatex-safe LaTeX; unknown non-ASCII characters become '?' (or raise when ``strict``)."""
    out = []
    for ch in text:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
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


def markdown_text(text: str) -> str:
    """Prose for Markdown: ``&``, ``<`` and ``>`` as entities, so that a title or a note (perhaps from a
    user's rule file) is text, never HTML that a Markdown renderer would pass through."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
