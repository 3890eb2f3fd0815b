"""Helpers only tests use: reference models the production code is checked against."""
