"""Helpers the tests share: `personas` (peers with keys of their own, polling for async
tests) and `recurrence` (whole-window expansion and dateutil oracles).
May import the modules under test and test libraries; production code and the
benchmarks never import this package.
"""
