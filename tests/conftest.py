"""Checks that hold for every test."""
