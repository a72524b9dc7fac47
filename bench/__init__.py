"""Benchmarks, run by hand (not in CI); each writes its figures into bench/README.md."""
