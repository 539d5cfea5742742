"""The check at initialisation: measure one batch through the fresh network and explain what it shows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from workbench.analysis import analyze
from workbench.doctor.batch import BATCH, init_batch
from workbench.doctor.data_checks import data_findings
from workbench.doctor.edits import insert_layer, remove_layer, set_param
from workbench.doctor.findings import SEVERITIES, Finding, Fix
from workbench.doctor.measure import Measurement, Trace, remeasure, trace
from workbench.doctor.residual_rule import growth_findings
from workbench.doctor.skip_rule import skip_findings
from workbench.doctor.stack import WEIGHT_TYPES, last_weight_index
from workbench.doctor.thresholds import DEAD_LIMIT, GRAD_RATIO_HIGH, GRAD_RATIO_LOW
from workbench.spec.model import ModelSpec

WEAK_GAIN = 0.5  # a layer passing on less than this share of the image-dependent amplitude shrinks the signal
WEAK_SHARE = 0.05  # below this input-dependent share a layer's output is mostly the same for every image
LOGIT_SHARE_ERROR = 0.003
LOGIT_SHARE_WARNING = 0.1


@dataclass
class Check:
    """One of the usual published checks, with its measured value and whether it passed."""

    name: str
    value: str
    passed: bool
    source: str

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "passed": self.passed, "source": self.source}


@dataclass
class InitReport:
    """The measurement, the usual checks and the findings of the init check."""

    spec_name: str
    measurement: Measurement
    gains: dict[str, float]
    checks: list[Check] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "spec": self.spec_name,
            "measurement": self.measurement.to_dict(),
            "signal_gain": dict(self.gains),
            "checks": [c.to_dict() for c in self.checks],
            "findings": [f.to_dict() for f in self.findings],
        }


def signal_gains(spec: ModelSpec, m: Measurement) -> dict[str, float]:
    """For each conv/dense layer: image-dependent amplitude of its output over that of its input."""
    return {s.name: s.signal_std / s.in_signal_std for s in m.layers if s.type in WEIGHT_TYPES and s.in_signal_std > 0}


def _usual_checks(spec: ModelSpec, m: Measurement) -> tuple[list[Check], list[Finding]]:
    checks, findings = [], []
    chance = m.chance_loss
    checks.append(Check("initial loss vs ln(classes)", f"{m.loss:.3f} vs ln {spec.num_classes} = {chance:.3f}",
                        m.loss <= 2 * chance + 0.5, "AutoTrainer / TheDeepChecker initial-loss rule"))
    if not checks[-1].passed:
        findings.append(Finding(
            "init-loss-high", "info", "Initial loss well above ln(classes)",
            f"The loss at initialisation is {m.loss:.3f}, chance is {chance:.3f}: the logits start large "
            f"(spread {m.logit_spread:.3g} across images). He-initialised nets often start like this and recover "
            "in the first steps; watch the first epoch.",
            "TheDeepChecker (initial-loss rule)", measured={"loss": m.loss, "chance": chance}, phase="init"))
    dead = {s.name: s.dead_fraction for s in m.layers if s.dead_fraction is not None}
    worst = max(dead, key=dead.get) if dead else None
    checks.append(Check("dead ReLU units", f"at most {dead[worst]:.0%} ({worst})" if worst else "no ReLU layers",
                        not worst or dead[worst] <= DEAD_LIMIT, "AutoTrainer dying-ReLU rule"))
    if worst and dead[worst] > DEAD_LIMIT:
        bad = tuple(n for n, d in dead.items() if d > DEAD_LIMIT)
        findings.append(Finding(
            "dead-relu-init", "warning", "Many ReLU units are dead at initialisation",
            ", ".join(f"{n}: {dead[n]:.0%}" for n in bad) + " of the channels are zero for every image of the batch, "
            "so they get no gradient.", "AutoTrainer dying-ReLU rule; He et al. 2015", bad,
            (Fix("Use He initialisation on " + ", ".join(bad), tuple(set_param(n, "init", None) for n in bad)),),
            {"dead_fraction": {n: dead[n] for n in bad}}, "init"))
    grads = [(s.name, s.grad_norm) for s in m.layers if s.grad_norm is not None]
    if len(grads) >= 2 and grads[-1][1] > 0:
        ratio = grads[0][1] / grads[-1][1]
        ok = GRAD_RATIO_LOW <= ratio <= GRAD_RATIO_HIGH
        checks.append(Check("gradient norm first/last layer", f"{ratio:.2g} ({grads[0][0]} / {grads[-1][0]})", ok,
                            "AutoTrainer vanishing/exploding-gradient rule"))
        if not ok:
            kind = "vanishing" if ratio < GRAD_RATIO_LOW else "exploding"
            findings.append(Finding(
                f"{kind}-gradient-init", "warning", f"Gradients are {kind} across the depth",
                f"The weight gradient of {grads[0][0]} is {ratio:.2g}× that of {grads[-1][0]}: the first layers "
                f"{'barely learn' if kind == 'vanishing' else 'take huge steps'}.",
                "AutoTrainer vanishing/exploding-gradient rule; Glorot & Bengio 2010",
                (grads[0][0], grads[-1][0]), (), {"ratio": ratio}, "init"))
    return checks, findings


def _weak_fixes(spec: ModelSpec, weak: list[str]) -> tuple[Fix, ...]:
    """Batch norm after the weak layers (the surest), He init with zero bias, or one weak layer less.

    ``weak`` names module paths; the edits name the spec's layers (one per layer, whichever copy was weak)."""
    weak = list(dict.fromkeys(spec.layer(path).name for path in weak))
    head = spec.layers[last_weight_index(spec)].name
    head_edits = [set_param(head, "init", None)] if head not in weak and "init" in spec.layer(head).params else []
    bn_edits = []
    for name in weak:
        layer = spec.layer(name)
        bn_edits += [set_param(name, "init", None), set_param(name, "bias", False), set_param(name, "activation", "none")]
        bn, act = spec.unique_name(f"bn_{name}"), spec.unique_name(f"relu_{name}")
        bn_edits += [insert_layer(name, {"name": bn, "type": "batchnorm"}),
                     insert_layer(bn, {"name": act, "type": "activation", "activation": layer.get("activation")})]
    also = f" and default init on {head}" if head_edits else ""
    fixes = [
        Fix(f"Batch norm after {', '.join(weak)} (conv → batch norm → ReLU){also}", tuple(bn_edits + head_edits)),
        Fix(f"He initialisation with zero bias on {', '.join(weak)}{also}",
            tuple(set_param(n, "init", None) for n in weak) + tuple(head_edits)),
    ]
    removal = Fix(f"Remove {weak[-1]} (one weak layer less)", (remove_layer(weak[-1]),))
    if len(weak) > 1 and analyze(removal(spec)).ok:  # not when it would leave a residual body empty
        fixes.append(removal)
    return tuple(fixes)


def _weakness(spec: ModelSpec, m: Measurement, gains: dict[str, float]) -> tuple[list[str], str] | None:
    """(the weak layers, the severity) when the image-dependent signal fades before the logits, else None."""
    weak = [n for n, g in gains.items() if g < WEAK_GAIN and spec.layer(n).get("activation") != "none"]
    if m.logit_share >= LOGIT_SHARE_WARNING or not weak:
        return None
    return weak, "error" if m.logit_share < LOGIT_SHARE_ERROR else "warning"


def _lowers(fix: Fix, spec: ModelSpec, severity: str, measured: Trace) -> bool:
    """Whether ``fix``, measured on the same batch, clears the weakness or makes it less severe."""
    fixed = fix(spec)
    m = remeasure(measured, fixed)  # the weakness is read off the forward pass, from the first changed layer on
    found = _weakness(fixed, m, signal_gains(fixed, m))
    return found is None or SEVERITIES.index(found[1]) > SEVERITIES.index(severity)


def _weak_signal(spec: ModelSpec, measured: Trace, gains: dict[str, float]) -> list[Finding]:
    m = measured.measurement
    found = _weakness(spec, m, gains)
    if found is None:
        return []
    (weak, severity), share = found, m.logit_share
    faint = [s.name for s in m.layers if s.signal_share < WEAK_SHARE]
    where = f" From {faint[0]} on, less than {WEAK_SHARE:.0%} of the activation depends on the image." if faint else ""
    per_layer = ", ".join(
        f"{n} ×{gains[n]:.2g} (share {m.layer(n).signal_share:.2g}, mean {m.layer(n).rms:.2g} vs image-dependent "
        f"{m.layer(n).signal_std:.2g})" for n in weak)
    outcome = ("The logits are practically the same for every image, so the loss sits at ln(classes) and the "
               "gradient has nothing to tell the layers apart with." if severity == "error" else
               "The logits still vary a little with the image, so it can train, but one more such layer removes the rest.")
    fixes = tuple(f for f in _weak_fixes(spec, weak) if _lowers(f, spec, severity, measured))
    return [Finding(
        "weak-signal", severity, f"Bias-dominated activations: the image-dependent signal fades through {', '.join(weak)}",
        f"Each of these layers passes on only a fraction of the image-dependent amplitude it receives while its "
        f"bias adds the same constant for every image: {per_layer}.{where} At the logits only {share:.2%} of the "
        f"variance depends on the image (healthy networks: several percent or more; class-score spread across images "
        f"{m.logit_spread:.2g}). {outcome} The usual checks (initial loss vs ln C, dead ReLUs, gradient ratio) do not "
        "see this. The fixes offered are those that, measured on the same images, clear it or make it less severe.",
        "He et al. 2015 (variance-preserving initialisation); Glorot & Bengio 2010; Ioffe & Szegedy 2015",
        tuple(weak), fixes,
        {"logit_share": share, "logit_spread": m.logit_spread, "gain": {n: gains[n] for n in weak},
         "signal_share": {n: m.layer(n).signal_share for n in weak}},
        "init",
    )]


def _non_finite(m: Measurement) -> list[Finding]:
    bad = next((s.name for s in m.layers if not s.finite), None)
    if bad is None and math.isfinite(m.loss):
        return []
    return [Finding("non-finite-init", "error", "NaN or Inf at initialisation",
                    f"The first layer with non-finite values is {bad}." if bad else "The loss is not finite.",
                    "TheDeepChecker (numerical-stability rule)", (bad,) if bad else (), (), {}, "init")]


def diagnose_init(spec: ModelSpec, inputs: torch.Tensor, targets: torch.Tensor, seed: int | None = None) -> InitReport:
    """Measure ``spec`` at initialisation on a normalised batch and return the report with its findings."""
    measured = trace(spec, inputs, targets, seed=seed)
    m = measured.measurement
    gains = signal_gains(spec, m)
    checks, usual = _usual_checks(spec, m)
    findings = _non_finite(m) + _weak_signal(spec, measured, gains)
    findings += skip_findings(spec, inputs, targets, m, seed) + growth_findings(spec, m) + usual
    return InitReport(spec.name, m, gains, checks, findings)


def init_inputs(spec: ModelSpec) -> dict:
    """The parts of ``spec`` the check at initialisation depends on (not e.g. the epochs or the optimiser)."""
    d = spec.to_dict()
    return {"input": d["input"], "classes": d["classes"], "layers": d["layers"], "data": d["data"],
            "seed": spec.training_value("seed")}


def check_init(spec: ModelSpec, data=None, data_path=None, batch: int = BATCH) -> InitReport:
    """The init check on ``batch`` images of the spec's own data (or ``data``, a DataBundle), with the
    checks on that data (:mod:`workbench.doctor.data_checks`) among its findings."""
    if data is None:
        from workbench.data.dataset import load_data

        data = load_data(spec, data_path=data_path)
    inputs, targets = init_batch(spec, data, size=batch)
    report = diagnose_init(spec, inputs, targets)
    report.findings += data_findings(spec, data, analyze(spec).total_params)
    return report
