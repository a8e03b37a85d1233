"""Tests of the pure service-quality science (touchpoint.quality)."""
