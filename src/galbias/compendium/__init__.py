"""How the book runs: profiles and run folders (:mod:`.config`), the data steps and loaders the
notebooks call (:mod:`.steps`), the papermill runner (:mod:`.runner`), the Jupyter Book build
(:mod:`.build`), figure and table helpers (:mod:`.plots`) and the command line (:mod:`.cli`).

This is the top layer: it may import every other layer, and none imports it.
"""
