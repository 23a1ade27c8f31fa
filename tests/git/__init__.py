"""Tests of casectl/git/ (git: audit, history, the merge driver, sync, the write guard)."""
