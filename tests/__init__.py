"""casectl's tests; their folders mirror the package (tests/store/ tests casectl/store/)."""
