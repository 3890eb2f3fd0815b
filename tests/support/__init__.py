"""Helpers the tests share; production code and the benchmarks never import them."""
