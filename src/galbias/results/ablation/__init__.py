r"""Chapter 10: when does de-biasing work?  Ground-truth tests of DDB's assumptions.

Every test trains the same small network on the same images and scores it on held-out
galaxies whose true class is known; only the labels, the loss, the bias model or the rule that
picks the epoch change.  Nothing here lets the truth into a method: labels, theta, the bias
shape, the epoch and the weights are all chosen from labels alone; the truth is read only by
:func:`score`.

Scenarios (:data:`SCENARIOS`)
  ``S1`` the paper's world: on the realistic survey's images, labels drawn from the paper's
  own model given the true class (a disk is labelled smooth with probability
  b(alpha; theta_S1), exactly half-Gaussian, independent of the image; a smooth galaxy is
  never labelled disk) - DDB's ceiling, where every assumption holds.  theta_S1 is the theta
  chapter 3 fitted on the realistic survey's labels, so the bias is as strong as there.
  ``S2`` the simulated volunteers of the realistic survey (the default survey; GZ2B/GZ2D).
  ``S3`` the simulated volunteers of the idealised survey (``survey_realism="idealised"``),
  rendered small for this chapter.

Methods (:data:`METHODS`; every CNN method is trained with each seed)
  ``ce_gz2b`` cross-entropy on the scenario's labels; ``ce_gz2d`` on the redshift-debiased
  labels (S2 only); ``ddb`` the paper's DDB with theta x ``theta_factor`` (the factor is 1
  unless the row says otherwise; in S1 theta is known, elsewhere it is fitted on the training
  labels like chapter 3, unbinned half-Gaussian here); ``ddb_shape`` DDB with the two-parameter
  shape b = exp(-(alpha/theta)^k / 2) fitted by unbinned maximum likelihood
  (:func:`galbias.methods.bias.fit_bias_shape`); ``degrade`` cross-entropy on the resolved
  training galaxies (alpha above the ``resolved_quantile`` of the training set) and on copies
  of them degraded to the alphas of the unresolved ones (:mod:`galbias.methods.degrade`), with
  their own labels; ``degrade+ddb`` DDB on the whole training set plus the degraded copies
  counted with b = 0; ``dcv14`` the EM baseline on Sérsic n, ellipticity and half-light radius.

Epoch selection (:data:`SELECTIONS`), all from the validation labels: ``val_loss`` the paper's
rule (lowest validation loss of the method's own loss); ``val_cv14`` and ``val_cv18`` the
lowest bias metric of the validation predictions; ``predictive`` the best agreement, over
``n_check_bins`` alpha bins, between the label disk fraction the model predicts (mean
(1 - b_i) p_i for the DDB losses, mean p_i for cross-entropy) and the observed one; ``last``
the final epoch; ``ema`` the final exponential moving average of the weights (span
``ema_span_epochs`` epochs of steps, BatchNorm buffers averaged too).
"""

from __future__ import annotations

from .experiment import *  # noqa: F401,F403
from .report import *  # noqa: F401,F403
