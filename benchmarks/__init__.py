"""Benchmarks and evaluation for cleaner: speed and quality live here, behaviour lives in tests.

Run the scripts as modules from the repository root (``python -m benchmarks.throughput``);
see ``benchmarks/README.md``.
"""
