"""Proof of the doctor on the question's network: overfeat-small-fc7_1 stays at ln 3; the doctor's top
fix makes it learn to ≥90% validation accuracy in as many steps as overfeat-small-fixed.

    python bench/doctor_proof.py                 # CUDA when present, else CPU with fewer images
    python bench/doctor_proof.py --images 300 --max-steps 300 --threads 2

Prints the doctor's findings, the fixes it applies, and for each network the step at which validation
accuracy first reached the target, with the loss at the end.
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from workbench.builder import build_model
from workbench.data.dataset import load_data
from workbench.doctor import apply_top_fixes, diagnose_init, static_findings
from workbench.doctor.batch import init_batch
from workbench.presets import load_preset
from workbench.training.events import EpochEvent, StepEvent
from workbench.training.trainer import Trainer

TARGET = 0.9
SICK_MIN_STEPS = 150  # the unfixed network trains at least this long, to show that it stays at ln 3


def _with(spec, images: int, device: str):
    spec = spec.copy()
    spec.data["images"] = images
    spec.training.update(epochs=100_000, device=device)
    return spec


def _same_weights(a, b) -> bool:
    """Whether two specs build networks with the same weight tensors (same seed)."""
    wa, wb = build_model(a).state_dict().values(), build_model(b).state_dict().values()
    return len(wa) == len(wb) and all(x.shape == y.shape and torch.equal(x, y) for x, y in zip(wa, wb))


def train(label: str, spec, data, max_steps: int, stop_at_target: bool) -> dict:
    trainer = Trainer(spec, data=data, run_dir=False, max_steps=max_steps, log_every=10)
    out = {"label": label, "reached": None, "losses": [], "val_acc": 0.0}

    def listen(event):
        if isinstance(event, StepEvent):
            out["losses"].append(event.loss)
        elif isinstance(event, EpochEvent) and event.val_acc is not None:
            out["val_acc"] = event.val_acc
            print(f"  {label}: step {event.step}, train loss {event.train_loss:.3f}, val acc {event.val_acc:.2f}",
                  flush=True)
            if out["reached"] is None and event.val_acc >= TARGET:
                out["reached"] = event.step
                if stop_at_target:
                    trainer.request_stop("target reached")

    trainer.add_listener(listen)
    start = time.perf_counter()
    ended = trainer.run()
    out["seconds"] = time.perf_counter() - start
    out["status"] = ended.status
    return out


def report(row: dict, chance: float) -> str:
    last = row["losses"][-3:]
    final = sum(last) / len(last) if last else math.nan
    reached = f"step {row['reached']}" if row["reached"] is not None else "never"
    left = "left ln 3" if final < 0.9 * chance else "still at ln 3"
    return (f"{row['label']:<34} {TARGET:.0%} val acc: {reached:<11} final loss {final:.3f} ({left}), "
            f"last val acc {row['val_acc']:.2f}, {row['seconds']:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--images", type=int, default=None, help="shapes images (default 600 on CUDA, 300 on CPU)")
    parser.add_argument("--max-steps", type=int, default=400)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    images = args.images or (600 if args.device.startswith("cuda") else 300)
    question = _with(load_preset("overfeat-small-fc7_1"), images, args.device)
    data = load_data(question)
    chance = math.log(question.num_classes)

    init = diagnose_init(question, *init_batch(question, data))
    findings = static_findings(question) + init.findings
    print(f"overfeat-small-fc7_1 on {images} shapes images, device {args.device}")
    print(f"at init: loss {init.measurement.loss:.3f} (ln 3 = {chance:.3f}), input-dependent share of the logits "
          f"{init.measurement.logit_share:.3%}")
    for f in sorted(findings, key=lambda f: ("error", "warning", "info").index(f.severity)):
        print(f"  {f.severity:<7} {f.rule:<20} {', '.join(f.layers)}")
    fixed, applied = apply_top_fixes(question, findings)
    print("top fixes applied: " + "; ".join(applied))
    reference_spec = _with(load_preset("overfeat-small-fixed"), images, args.device)
    same = _same_weights(fixed, reference_spec)
    print(f"initial weights identical to overfeat-small-fixed's: {same}", flush=True)

    reference = train("overfeat-small-fixed (preset)", reference_spec, data, args.max_steps, stop_at_target=True)
    doctor = train("fc7_1 + doctor's top fix", fixed, data, args.max_steps, stop_at_target=True)
    steps = reference["reached"] or args.max_steps
    sick_steps = max(steps, doctor["reached"] or 0, SICK_MIN_STEPS)
    sick = train("overfeat-small-fc7_1 as is", question, data, sick_steps, stop_at_target=False)
    print()
    for row in (sick, doctor, reference):
        print(report(row, chance))
    ok = doctor["reached"] is not None and (reference["reached"] is None or doctor["reached"] <= reference["reached"])
    print("RESULT:", "the doctor's fix trains as fast as the repaired preset" if ok else "the doctor's fix is slower")


if __name__ == "__main__":
    main()
