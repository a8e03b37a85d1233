"""Tests of touchpoint.storage."""
