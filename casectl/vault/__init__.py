"""Confidentiality at the git level: restricted clients and purges (contract 5.6, 5.7).

- :mod:`casectl.vault.crypt`: ``restrict`` / ``unrestrict`` a client's folder with
  git-crypt (a symmetric key per group), which clients a clone cannot read
  (:func:`~casectl.vault.crypt.locked_clients`), decrypting a blob with the keys this
  clone holds.
- :mod:`casectl.vault.purge`: remove a closed client past its retention in one commit,
  and the ``git filter-repo`` command that removes it from history.
- :mod:`casectl.vault.trailers`: how audit judges the commits these commands make
  (``Casectl-Restrict``, ``Casectl-Unrestrict``, ``Casectl-Purge`` trailers).

Nothing here is home-made cryptography: git-crypt (from the system's packages) does the
encryption, git-filter-repo the history rewrite; casectl only calls them.
"""
