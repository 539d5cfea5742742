"""Learning-rate findings from the range test: every number they quote is one the test measured."""

from __future__ import annotations

from workbench.doctor.edits import set_training
from workbench.doctor.findings import Finding, Fix
from workbench.doctor.lr_find import SKIP_START, LRFindResult

# lr-too-low fires when the configured lr is more than LOW_FACTOR below the suggestion and the range test's loss
# had not started to fall at it. The usual suggestions of a range test (steepest descent, valley, minimum / 10)
# lie within about one decade of each other, so a factor of 30 (1.5 decades) leaves every reasonable choice
# alone (measured: lenet5's lr 1e-3 is its own suggestion). Beyond ERROR_FACTOR (three decades) a run needs a
# thousand times the steps to get as far: in any practical run length it stays at chance, so that is an error.
LOW_FACTOR = 30.0
ERROR_FACTOR = 1000.0
SOURCE = "Smith 2015 (learning-rate range test); fastai lr_find; Lightning Tuner.lr_find"


def fmt_lr(lr: float) -> str:
    """A learning rate with two significant digits, as the fix sets it."""
    return f"{float(f'{lr:.2g}'):g}"


def suggested_fix(result: LRFindResult) -> tuple[Fix, ...]:
    """``set lr to <suggested>`` (rounded to two digits), or nothing when the test suggests nothing."""
    if result.suggested is None:
        return ()
    value = float(fmt_lr(result.suggested))
    return (Fix(f"Set lr to {fmt_lr(value)} (range-test suggestion)", (set_training("lr", value),)),)


def _falling_at(result: LRFindResult, lr: float) -> bool:
    """Whether the smoothed loss had dropped a tenth of the way from its start to its best at ``lr`` (the first
    ``SKIP_START`` points are the start itself)."""
    at = sum(x <= lr for x in result.lrs) - 1
    if at < SKIP_START:
        return False
    return result.smoothed[at] < result.start_loss - 0.1 * (result.start_loss - result.best_loss)


def lr_findings(result: LRFindResult) -> list[Finding]:
    """``lr-too-high`` or ``lr-too-low`` for the configured lr, measured against ``result``."""
    lr = result.configured_lr
    measured = {"configured_lr": lr, "suggested": result.suggested, "max_stable": result.max_stable,
                "start_loss": result.start_loss, "best_loss": result.best_loss}
    said = (f" The suggested lr, a tenth of the lr where the loss was lowest, is {fmt_lr(result.suggested)}."
            if result.suggested is not None else
            " The loss did not fall at any learning rate of the test, so there is no value to suggest.")
    if result.max_stable is not None and lr > result.max_stable:
        return [Finding(
            "lr-too-high", "error", "The learning rate is above the largest stable value",
            f"In the range test ({result.optimizer}, lr {fmt_lr(result.lrs[0])} to {fmt_lr(result.lrs[-1])}) the "
            f"smoothed loss went from {result.start_loss:.3f} down to {result.best_loss:.3f} and rose again past "
            f"lr {fmt_lr(result.max_stable)}; the configured lr {lr:g} is {lr / result.max_stable:.3g}× that, where "
            f"training undoes what it learns or diverges.{said}",
            SOURCE, (), suggested_fix(result), measured, "init")]
    if result.suggested is not None and lr * LOW_FACTOR < result.suggested and not _falling_at(result, lr):
        factor = result.suggested / lr
        return [Finding(
            "lr-too-low", "error" if factor > ERROR_FACTOR else "warning", "The learning rate is far below the measured one",
            f"In the range test the smoothed loss ({result.start_loss:.3f} at the start, best {result.best_loss:.3f}) "
            f"had not started to fall at the configured lr {lr:g}; the suggested lr (a tenth of the lr where the "
            f"loss was lowest) is {fmt_lr(result.suggested)}, {factor:.3g}× higher. At lr {lr:g} a run needs about "
            "that many times the steps to get as far.",
            SOURCE, (), suggested_fix(result), measured, "init")]
    return []
