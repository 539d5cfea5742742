"""Make the doctor screenshots of docs/why-my-network-does-not-train.md (offscreen, no window opens).

    python docs/make_doctor_screenshots.py [--trial-steps N]

Writes docs/img/doctor-*.png. With ``--trial-steps`` it also trains the candidate fixes of
overfeat-small-fc7_1 for N steps each (minutes on a CPU) and saves the trial chart.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.doctor import apply_top_fixes, check_init  # noqa: E402
from workbench.doctor.report import candidate_fixes  # noqa: E402
from workbench.doctor.trial import try_fixes  # noqa: E402
from workbench.gui.doctor import DoctorPanel  # noqa: E402
from workbench.gui.document import SpecDocument  # noqa: E402
from workbench.gui.style import apply_theme  # noqa: E402
from workbench.presets import load_preset  # noqa: E402

OUT = Path(__file__).resolve().parent / "img"


def settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents()


def panel_for(app: QApplication, name: str) -> DoctorPanel:
    panel = DoctorPanel(SpecDocument(load_preset(name)))
    panel.resize(900, 900)
    panel.show()
    panel.show_init_report(check_init(panel.document.spec))
    settle(app)
    return panel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trial-steps", type=int, default=0)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    apply_theme(app)

    sick = panel_for(app, "overfeat-small-fc7_1")
    sick.grab().save(str(OUT / "doctor-fc7_1-panel.png"))
    sick.init_chart.grab().save(str(OUT / "doctor-fc7_1-chart.png"))
    panel_for(app, "overfeat-small-question").init_chart.grab().save(str(OUT / "doctor-question-chart.png"))

    fixed, _ = apply_top_fixes(sick.document.spec, sick.findings())
    sick.document.apply(fixed, "Apply the recommended fixes")
    sick.show_init_report(check_init(fixed))
    settle(app)
    sick.grab().save(str(OUT / "doctor-after-fix-panel.png"))

    if args.trial_steps:
        spec = load_preset("overfeat-small-fc7_1")
        trials = panel_for(app, spec.name)
        ranked = try_fixes(spec, candidate_fixes(spec, trials.findings()), steps=args.trial_steps)
        trials.show_trials(spec, ranked)
        trials.tabs.setCurrentIndex(1)
        settle(app)
        trials.tabs.grab().save(str(OUT / "doctor-trials.png"))
    print("wrote", ", ".join(sorted(p.name for p in OUT.glob("doctor-*.png"))))


if __name__ == "__main__":
    main()
