"""LGS Explorer's benchmark suite: `python -m benchmarks [--quick]` (see docs/benchmarks.md)."""
