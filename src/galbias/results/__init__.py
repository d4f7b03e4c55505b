"""One module per results chapter; each notebook calls its own module plus the lower layers.

==============================  =========================================================
chapter                         module
==============================  =========================================================
0  the simulated survey         :mod:`.survey`
1  labels                       :mod:`.labeling`
2  the bias model               :mod:`.bias_model`
3  theta                        :mod:`.theta`
4  the three networks           :mod:`.networks`
5  Table 1                      :mod:`.table1`
6  Sérsic indices               :mod:`.sersic`
7  high-resolution inspection   :mod:`.hires`
8  GradCAM                      :mod:`.gradcam`
9  sky-location bias            :mod:`.skybias`
==============================  =========================================================

:mod:`.frames` builds the one evaluation table (all label sets and networks side by side)
that chapters 4-7 share.
"""
