"""Benchmarks: `make bench` (bench/run.py) runs them all and writes BENCHMARKS.md.

Each figure is measured as a ratio against its floor in the same run (DESIGN.md, quality bars):
a slow or busy machine moves the figure and the floor together, so the ratio still means
something. Benchmarks never fail because a machine is slow, only because something is broken.
"""
