"""Proof on the shapes: a small conv net (two convs, GAP, dense) with SGD at lr 50 and 1e-7 and Adam at 1.0 and
1e-7 is flagged before training in the right direction with a measured value, and that value trains it past
90 % validation accuracy where the configured one stays at chance."""

import pytest

from workbench.data.dataset import load_data
from workbench.doctor.report import diagnose
from workbench.spec import load_spec
from workbench.training.trainer import Trainer

CASES = (("lr-sgd-10", "lr-too-high"), ("lr-sgd-1e-7", "lr-too-low"),
         ("lr-adam-1", "lr-too-high"), ("lr-adam-1e-7", "lr-too-low"))
CHANCE_ACC = 0.45  # three classes: chance is 1/3; above this the net has learnt something


def _val_acc(spec, data) -> float:
    ended = Trainer(spec, data=data, run_dir=False, log_every=1000).run()
    return ended.final["val_acc"] if ended.final else 0.0


@pytest.mark.slow
@pytest.mark.parametrize("name,rule", CASES)
def test_doctor_flags_the_learning_rate_and_its_value_trains(name, rule):
    spec = load_spec(f"tests/data/{name}.yaml")
    data = load_data(spec)
    diagnosis = diagnose(spec, data=data, with_lr=True)
    found = [f for f in diagnosis.findings if f.rule in ("lr-too-high", "lr-too-low")]
    assert [f.rule for f in found] == [rule]
    edit = found[0].fixes[0].edits[0]
    value, configured = edit["value"], spec.training["lr"]
    assert (value < configured) if rule == "lr-too-high" else (value > configured)
    assert value == pytest.approx(diagnosis.lr.suggested, rel=0.05)  # the number is the measurement's
    assert f"{value:g}" in found[0].fixes[0].label
    assert _val_acc(found[0].fixes[0](spec), data) > 0.9
    assert _val_acc(spec, data) < CHANCE_ACC
