"""Tests of casectl/read/ (reading the agency through the cache: the scan, shell completion)."""
