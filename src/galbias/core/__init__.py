"""The layer every other layer builds on: errors, atomic artifacts with manifests, hashing, seeds.

Nothing here knows about galaxies.  The package's layers import downwards only::

    core  <-  data  <-  mock  <-  methods  <-  results  <-  compendium

(``reference`` holds published numbers and imports nothing of the package.)
"""
