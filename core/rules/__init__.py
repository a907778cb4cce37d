"""The clinical rules: pure functions with no I/O, each threshold a setting with its cited source."""
