"""Planted-problem tests for ``casectl validate``, one module per file family
(helpers in tests/builders.py: ``agency_with``, ``found``, ``messages``)."""
