"""Verification of the catalog: verdicts with evidence.

One rule (:func:`cheatsheet.verifier.engine.verify_rule`), from the bottom up: ``sampling`` (seeded points,
exact breakpoints) and ``symbolic`` (proof attempts under a time limit, branch resolution); ``numbers`` (values
at the gate's precision and their text); ``gate`` (a claim at every sample point, against sympy's derivative and a
numerical one) and ``proof`` (the claim proved region by region, else its residue sought); ``points`` (parameter
sets, sample points, explicit sizes); ``kinks``, ``scalar`` (with the exact check at breakpoints),
``numeric_matrix``, ``instances`` (vectors and matrices), ``claims`` (identities, stable forms), ``derivations``;
``engine`` (the order of the checks, general rules, the verdict). Around it: ``verdict`` and ``hashing`` (the
evidence and the content hash it is stamped with), ``record`` (the shipped verdicts), ``runner`` (many rules, in
parallel, cached), ``mutation`` and ``errata`` (wrong formulas the verifier must reject).
"""
