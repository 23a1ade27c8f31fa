"""Tests of casectl/core/ (pure layer: dates, schedule, schemas, suggestions, the run context)."""
