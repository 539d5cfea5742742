"""Make the doctor screenshots of docs/why-my-network-does-not-train.md (offscreen, no window opens).

    python docs/make_doctor_screenshots.py [--trial-steps N]

Writes docs/img/doctor-*.png. With ``--trial-steps`` it also trains the candidate fixes of
overfeat-small-fc7_1 for N steps each (minutes on a CPU) and saves the trial chart.
"""

from __future__ import annotations

import argparse

from screenshot_window import save, settle, start_app

from workbench.doctor import apply_top_fixes, check_init
from workbench.doctor.report import candidate_fixes
from workbench.doctor.trial import try_fixes
from workbench.gui.doctor import DoctorPanel
from workbench.gui.document import SpecDocument
from workbench.presets import load_preset


def panel_for(app, name: str) -> DoctorPanel:
    panel = DoctorPanel(SpecDocument(load_preset(name)))
    panel.resize(900, 900)
    panel.show()
    panel.show_init_report(check_init(panel.document.spec))
    settle(app, 0.3)
    return panel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trial-steps", type=int, default=0)
    args = parser.parse_args()
    app, _scratch = start_app()

    sick = panel_for(app, "overfeat-small-fc7_1")
    save(sick, "doctor-fc7_1-panel.png")
    save(sick.init_chart, "doctor-fc7_1-chart.png")
    save(panel_for(app, "overfeat-small-question").init_chart, "doctor-question-chart.png")

    fixed, _ = apply_top_fixes(sick.document.spec, sick.findings())
    sick.document.apply(fixed, "Apply the recommended fixes")
    sick.show_init_report(check_init(fixed))
    settle(app)
    save(sick, "doctor-after-fix-panel.png")

    if args.trial_steps:
        spec = load_preset("overfeat-small-fc7_1")
        trials = panel_for(app, spec.name)
        ranked = try_fixes(spec, candidate_fixes(spec, trials.findings()), steps=args.trial_steps)
        trials.show_trials(spec, ranked)
        trials.tabs.setCurrentIndex(1)
        settle(app)
        save(trials.tabs, "doctor-trials.png")


if __name__ == "__main__":
    main()
