"""The methods: the bias model and theta fit (:mod:`.bias`), bias and classification metrics
(:mod:`.metrics`), the DCV14 baseline (:mod:`.dcv14`), the DDB likelihood and cross-entropy
(:mod:`.losses`), the networks (:mod:`.models`), their training (:mod:`.train`) and GradCAM
(:mod:`.gradcam`).  They take data (arrays, tables, image caches) and settings, never paths of
a run folder."""
