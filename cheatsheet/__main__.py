"""``python -m cheatsheet``: the same command line as ``cheatsheet``."""

from cheatsheet.cli import main

if __name__ == "__main__":
    main(prog_name="cheatsheet")
