"""Helpers the tests share: `personas` (peers with keys of their own, polling for async
tests), `recurrence` (whole-window expansion and dateutil oracles) and `registers`
(the in-memory reference model of the index's registers).
May import the modules under test and test libraries; production code and the
benchmarks never import this package.
"""
