"""Tests of restricted clients (git-crypt), purges (git-filter-repo) and how audit
judges their commits (casectl/vault/). Real git, real git-crypt, real git-filter-repo: CI
installs them (.ci/run: git-crypt from Debian, git-filter-repo from the test extra)."""
