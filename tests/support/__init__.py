"""Helpers the tests share: `recurrence` (whole-window expansion and dateutil oracles).
May import the modules under test and test libraries; production code and the
benchmarks never import this package.
"""
