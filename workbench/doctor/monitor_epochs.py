"""The monitor's rule on epoch metrics: overfitting, told apart from a validation loss that rises while
the validation accuracy still improves (a sharper but still better classifier)."""

from __future__ import annotations

from workbench.doctor.findings import Finding, Fix
from workbench.doctor.lr_advice import early_stopping_fix, weight_decay_fix
from workbench.doctor.thresholds import OVERFIT_RISE
from workbench.spec.model import ModelSpec
from workbench.training.events import EpochEvent


def overfitting_finding(spec: ModelSpec, epochs: list[EpochEvent]) -> tuple[Finding, tuple[Fix, ...]] | None:
    """The overfitting finding when, over the last three epochs, the training loss fell, the validation
    loss rose (by at least ``OVERFIT_RISE``) and the validation accuracy stopped improving (not above its start, not a best so far).

    Returns the finding (its fixes still to be tried) and the fixes the run itself already measured:
    early stopping keeps the epoch whose validation loss was lowest.
    """
    val = [e for e in epochs if e.val_loss is not None and e.val_acc is not None]
    if len(val) < 3:
        return None
    e0, e1, e2 = val[-3:]
    best_before = max(e.val_acc for e in val[:-1])
    rising = e2.val_loss > e1.val_loss > e0.val_loss and e2.val_loss >= (1 + OVERFIT_RISE) * e0.val_loss
    if not (rising and e2.train_loss < e1.train_loss < e0.train_loss):
        return None
    if e2.val_acc > e0.val_acc or e2.val_acc > best_before:
        return None
    best = min(val, key=lambda e: e.val_loss)
    stop = early_stopping_fix(spec)
    proven = (stop,) if stop is not None else ()
    return Finding(
        "overfitting", "warning", "Validation loss rises while training loss falls",
        f"Over the last 3 epochs (to epoch {e2.epoch}) the training loss fell {e0.train_loss:.3g} → {e2.train_loss:.3g} "
        f"while the validation loss rose {e0.val_loss:.3g} → {e2.val_loss:.3g} and the validation accuracy did not "
        f"improve ({e0.val_acc:.1%} → {e2.val_acc:.1%}, best {best_before:.1%}): the network memorises the training "
        f"images. Its lowest validation loss was {best.val_loss:.3g} at epoch {best.epoch}, which early stopping keeps.",
        "Srivastava et al. 2014; TheDeepChecker (overfitting rule)", (), (weight_decay_fix(spec),),
        {"train_loss": [e0.train_loss, e1.train_loss, e2.train_loss], "val_loss": [e0.val_loss, e1.val_loss, e2.val_loss],
         "val_acc": [e0.val_acc, e1.val_acc, e2.val_acc]}, "training"), proven
