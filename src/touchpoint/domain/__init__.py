"""Entities and rules of the service desk with no I/O; ``now`` is always a parameter."""
