"""Demo and synthetic data: the ``flask demo seed`` command and the planted generators.

Tests, benchmarks and the demo seed use this package; no feature imports it.
"""
