"""The data layer: what a catalog is and how images, labels and sky regions are read from it.

- :mod:`~galbias.data.catalog` - the catalog schema shared by the simulated survey and the
  real GZ2 data; ``alpha`` and the intrinsic variables of CV18; :func:`~galbias.data.catalog.has_truth`.
- :mod:`~galbias.data.cosmology` - the one angular-diameter distance (WMAP9) and its relatives.
- :mod:`~galbias.data.regions` - the four sky boxes of chapter 9 and the region of a position.
- :mod:`~galbias.data.binning` - the one equal-count binning rule (alpha bins, bin edges and midpoints).
- :mod:`~galbias.data.labels` - majority vote, redshift debiasing, balancing, splits.
- :mod:`~galbias.data.images` - JPEG decoding and checks; :mod:`~galbias.data.cache` - the
  decode-once uint8 cache, its torch dataset and augmentation.
- :mod:`~galbias.data.gz2` - the real Galaxy Zoo 2 data: download (``download``) and assembly
  into the catalog (``assemble``).

Nothing here imports the simulated survey (:mod:`galbias.mock`) or any higher layer.
"""
