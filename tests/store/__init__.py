"""Tests of casectl/store/ (disk layer: the loader, the read cache, ids, the writer,
hostile files)."""
