"""Use cases: one function per write, one transaction, one audit row."""
