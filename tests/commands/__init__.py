"""Tests of casectl/commands/ (one command (or one piece of casework) per module, through
the real CLI)."""
