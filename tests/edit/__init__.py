"""Tests of casectl/edit/ (edits: the change lines, the log text, notes, edit, close)."""
