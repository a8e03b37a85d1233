"""Benchmarks: whole processes timed side by side with named baselines."""
