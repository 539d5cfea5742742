"""The question's mechanism on a scaled-down OverFeat (32×32 shapes, few filters): the doctor finds the
weak, bias-dominated fc layers and dropout on the logits; before its top fix the loss stays at ln 3,
after it the network learns."""

import math

import pytest
import torch

from workbench.data.dataset import load_data
from workbench.doctor import apply_top_fixes, diagnose_init, static_findings
from workbench.doctor.batch import init_batch
from workbench.doctor.monitor import TrainingMonitor
from workbench.training.events import DiagnosisEvent, StepEvent
from workbench.training.trainer import Trainer

from .helpers import sick_spec

STEPS = 100


@pytest.fixture(scope="module")
def sick_and_data():
    torch.set_num_threads(2)
    spec = sick_spec(images=300, epochs=20, optimizer="sgd", lr=0.01)  # momentum 0.9, as in the question
    return spec, load_data(spec)


def _train(spec, data):
    monitor = TrainingMonitor(every=10, chance_steps=60)
    trainer = Trainer(spec, data=data, run_dir=False, max_steps=STEPS, log_every=10, callbacks=[monitor])
    losses, diagnoses = [], []
    trainer.add_listener(lambda e: losses.append(e.loss) if isinstance(e, StepEvent) else None)
    trainer.add_listener(lambda e: diagnoses.append(e.finding.rule) if isinstance(e, DiagnosisEvent) else None)
    trainer.run()
    model = trainer.model.eval()
    with torch.no_grad():
        acc = float((model(data.normalize(data.val_x)).argmax(1) == data.val_y).float().mean())
    return diagnoses, losses, acc


def test_doctor_finds_the_weak_layers_and_its_fix_makes_the_network_learn(sick_and_data):
    spec, data = sick_and_data
    report = diagnose_init(spec, *init_batch(spec, data))
    weak = next(f for f in report.findings if f.rule == "weak-signal")
    assert weak.severity == "error"
    assert weak.layers == ("fc6", "fc7", "fc7_1")
    assert report.measurement.logit_share < 0.005
    assert all(c.passed for c in report.checks if c.name.startswith(("initial loss", "dead ReLU")))

    findings = static_findings(spec) + report.findings
    fixed, applied = apply_top_fixes(spec, findings)
    assert applied[0].startswith("Remove drop9")
    assert "drop9" not in [layer.name for layer in fixed.layers]

    chance = math.log(3)
    diagnosed, before, acc_before = _train(spec, data)
    assert all(abs(loss - chance) < 0.03 for loss in before), before
    assert acc_before < 0.5
    assert "stuck-at-chance" in diagnosed  # the training monitor says so while it happens

    diagnosed, after, acc_after = _train(fixed, data)
    assert after[-1] < 0.5 * chance, after
    assert acc_after > 0.8
    assert "stuck-at-chance" not in diagnosed

    again = diagnose_init(fixed, *init_batch(fixed, data))
    assert not [f for f in again.findings if f.severity == "error"]
