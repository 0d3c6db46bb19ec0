"""Building blocks of the sheet's renderer: math typesetting (SVG for the PDF, MathML for the HTML),
small vector plots of scalar rules, and the bundled resources (templates and fonts) they use."""
