"""Tests of the analytics engine (touchpoint.engine)."""
