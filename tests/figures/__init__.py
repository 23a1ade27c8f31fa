"""Tests of the figures: stats, export, search and --as-of (casectl/figures/); their
builders (records made in memory, the hand-counted agency) are in tests/builders.py."""
