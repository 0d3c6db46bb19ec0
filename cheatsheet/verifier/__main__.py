"""Developer entry point: ``python -m cheatsheet.verifier [IDS...] [--family F] [--torch] [--jobs N]``.

Verifies without touching the shipped record or the cache and prints one line per rule: handy while
writing catalog entries. Users run ``cheatsheet verify``.
"""

from __future__ import annotations

import argparse
import sys
import time

import cheatsheet
from cheatsheet.verifier.runner import verify_many


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cheatsheet.verifier")
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--family")
    parser.add_argument("--torch", action="store_true")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    rules = [cheatsheet.get(i) for i in args.ids] if args.ids else cheatsheet.rules(args.family)
    start = time.perf_counter()
    verdicts = verify_many(rules, jobs=args.jobs, use_cache=False)
    bad = 0
    for v in verdicts:
        bad += v.status == "failed"
        print(f"{v.rule_id:34s} {v.seconds:6.2f}s  {v.summary()}")
    counts = {s: sum(v.status == s for v in verdicts) for s in ("proved", "checked", "failed")}
    print(f"{len(verdicts)} rules in {time.perf_counter() - start:.1f} s: {counts}")
    if args.torch:
        import torch

        from cheatsheet.conformance import check_rule

        for r in rules:
            res = check_rule(r, torch)
            bad += res.status == "differs"
            print(f"torch {r.id:28s} {res.summary()}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
