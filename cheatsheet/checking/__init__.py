"""Reading what users type and write: the safe grammar, `check` claims and rule files."""
