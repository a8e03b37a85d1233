"""Tests of touchpoint.domain."""
