"""The sheet's renderers: every output format drawn from the cards of :mod:`cheatsheet.sheet`.

- :mod:`.math`: math typesetting (SVG for the PDF through ziamath, MathML for the HTML);
- :mod:`.plots`: small vector plots of scalar rules;
- :mod:`.panels`: the worked examples and panels of :mod:`cheatsheet.examples` as cards of their own;
- :mod:`.html`: the Jinja2 documents (the print pages, the measuring document, the HTML page);
- :mod:`.paged`: the PDF, step by step: :mod:`.layout` (the content box, the page model, pagination),
  :mod:`.measure` (each block's height, cached), :mod:`.drawing` (one WeasyPrint document per page, cached;
  :mod:`.pdf` closes WeasyPrint to the outside world) and :mod:`.join` (the papers' PDFs, with pypdf);
- :mod:`.documents`: the LaTeX and Markdown documents; :mod:`.rules_json`: the rule table as JSON;
- :mod:`.adapters`: every use of a third-party library's private API, one module per library, checked
  against the pinned version; :mod:`.resources`: the bundled templates and fonts.

render comes after :mod:`cheatsheet.examples` (panels imports them) and :mod:`cheatsheet.sheet`; neither
imports render.
"""
