"""Tests of casectl/present/ (output: formats, Markdown, reports, ics, the terminal,
tables, redaction, the sandbox, the browser)."""
