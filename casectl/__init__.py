"""casectl: case management records as plain YAML under git."""

__version__ = "0.1.0"
