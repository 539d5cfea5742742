"""Every limit the doctor's measured rules use, one value per concept, each with the reason for it.

The check at initialisation and the training monitor read the same constants, so a network cannot
pass a check before training and fail the same check, on the same numbers, during it.
"""

# Weight-gradient norm of the first weight layer over that of the last. Glorot & Bengio (2010) show
# plain deep nets whose first layers get gradients 1e-2..1e-3 of the last ones and still train; four
# orders of magnitude is where the first layers effectively stop learning (AutoTrainer uses the same
# order). Above GRAD_RATIO_HIGH the first layers take steps 1e4 times larger than the classifier.
GRAD_RATIO_LOW, GRAD_RATIO_HIGH = 1e-4, 1e4

# Total gradient norm above which a step is an explosion rather than a large gradient: with the usual
# learning rates (1e-4..1e-1) such a step moves the weights by 1..1000 in norm, more than their size.
GRAD_NORM_HIGH = 1e4

# Share of a ReLU layer's channels that are zero for every image of a batch. Up to half dead is common
# in healthy ReLU nets (sparse activations); past it the layer loses most of its capacity.
DEAD_LIMIT = 0.5

# Per-step update/weight ratio ||Δw|| / ||w||: about 1e-3 is the healthy value (Karpathy, CS231n);
# the band allows two orders of magnitude either way before calling it too small or too large, since
# the ratio varies by layer and over a run.
UPDATE_TARGET = 1e-3
UPDATE_BAND = (1e-5, 0.1)

# A learning-rate change the doctor proposes from a measured update ratio moves the lr by at most this
# factor at once. The ratio scales with the lr (exactly so for one plain SGD step), but it is measured
# on one step, which may have had an unusually small or large gradient: four decades is as far as one
# measurement is trusted.
LR_MAX_FACTOR = 1e4

# Relative distance of the loss from ln(classes) that counts as "at chance": the loss of a uniform
# prediction is ln C; 5 % of it (0.055 for 3 classes) is more than the noise of a 20-step mean.
CHANCE_TOL = 0.05
# Absolute distance of the accuracy from 1/classes that counts as "at chance": a 20-step window of
# 32 images has a standard error of about 0.02 at 1/3, so 0.05 is over two standard errors.
ACC_CHANCE_TOL = 0.05

# The loss has diverged when it is this many times its reference (the larger of the first step's loss
# and ln C) on DIVERGE_STEPS steps of consecutive check windows: a single spike can be a bad batch, three
# are not.
DIVERGE_FACTOR = 3.0
DIVERGE_STEPS = 3
# One step is enough when its loss is this many times the reference: a cross-entropy 100 times ln C
# needs logits hundreds apart, which only exploded weights give, never one unlucky batch.
EXPLODE_FACTOR = 100.0

# Overfitting needs the validation loss to rise by at least this share over three epochs: on a small
# validation set a rise of a few percent is the noise of which images happen to be near the boundary.
OVERFIT_RISE = 0.05

# A fix tried in a short trial counts as an improvement when it lowers the trial's final loss by at
# least this share of the loss without it (smaller differences are within the noise of 30 steps).
IMPROVE_MIN = 0.02
