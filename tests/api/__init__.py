"""Tests of touchpoint.api."""
