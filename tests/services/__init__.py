"""Tests of touchpoint.services."""
