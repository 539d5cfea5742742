"""The doctor panel: findings for the open spec (re-checked on every edit), the check at initialisation
with its per-layer chart, trial runs of the candidate fixes, and findings reported by a training run."""

from __future__ import annotations

import math
import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QLayout, QMenu, QPushButton, QScrollArea, QSpinBox, QSplitter, QTabWidget,
    QVBoxLayout, QWidget,
)

from workbench.doctor.batch import init_batch
from workbench.doctor.compare import Comparison, compare_init
from workbench.doctor.findings import SEVERITIES, Finding, Fix, sort_findings
from workbench.doctor.init_check import InitReport, check_init, init_inputs
from workbench.doctor.report import candidate_fixes
from workbench.doctor.static_rules import static_findings
from workbench.doctor.trial import TRIAL_STEPS, TrialResult, learning_verdict, try_fixes
from workbench.gui.doctor.charts import CompareChart, InitChart, TrialChart
from workbench.gui.doctor.finding_card import FindingCard
from workbench.gui.doctor.stale_cover import StaleCover
from workbench.gui.document import SpecDocument
from workbench.gui.wrapping import FittingLabel
from workbench.gui.style import MUTED
from workbench.gui.training.tasks import BackgroundTask
from workbench.presets import load_preset, preset_names
from workbench.spec import ModelSpec, SpecError, load_spec


class _Relay(QObject):
    """Carries trial progress from the worker thread to the panel (a queued signal)."""

    trial = Signal(object, int, int)


class _CardList(QWidget):
    """The findings column; gives each word-wrapped card the height it needs at the current width."""

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self.fit_cards()

    def fit_cards(self) -> None:
        margins = self.layout().contentsMargins()
        width = self.width() - margins.left() - margins.right()
        for card in self.findChildren(FindingCard):
            card.setMinimumHeight(card.heightForWidth(width))


class DoctorPanel(QWidget):
    """Why the open network does not train, and buttons that apply the fixes as undoable edits."""

    findingsChanged = Signal(list)  # the findings shown now, most severe first

    def __init__(self, document: SpecDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.static: list[Finding] = []
        self.training: list[Finding] = []
        self.verdict: list[Finding] = []  # the trial runs' verdict ("does not learn") ...
        self._verdict_spec: dict | None = None  # ... for this spec, training settings included
        self.init_report: InitReport | None = None
        self.trial_results: list[TrialResult] = []
        self.comparison: Comparison | None = None
        self._init_key: dict | None = None  # what the shown init report was measured on
        self._trial_key: dict | None = None  # ... the shown trial runs
        self._compare_key: dict | None = None  # ... the shown comparison, with the other spec
        self._compare_other: ModelSpec | None = None
        self._list_empty: bool | None = None
        self._task: BackgroundTask | None = None
        self._stop = threading.Event()
        self._relay = _Relay(self)
        self._relay.trial.connect(self._on_trial)
        self._build()
        document.changed.connect(self.refresh)
        self.refresh()

    # -- layout --------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        bar, second = QHBoxLayout(), QHBoxLayout()  # two rows, so a laptop-sized window shows every button
        title = QLabel("DOCTOR")
        title.setObjectName("paneTitle")
        bar.addWidget(title)
        bar.addStretch(1)
        self.init_button = QPushButton("Check at initialisation")
        self.init_button.setToolTip("Measure one batch of your data through the freshly initialised network")
        self.init_button.clicked.connect(self.run_init_check)
        bar.addWidget(self.init_button)
        second.addStretch(1)
        self.steps = QSpinBox()
        self.steps.setRange(10, 5000)
        self.steps.setValue(TRIAL_STEPS)
        self.steps.setSuffix(" steps")
        self.steps.setToolTip("Length of each trial run")
        second.addWidget(self.steps)
        self.trial_button = QPushButton("Try fixes")
        self.trial_button.setToolTip("Train the network as it is and with each candidate fix briefly, and rank them")
        self.trial_button.clicked.connect(self.run_trials)
        second.addWidget(self.trial_button)
        self.compare_button = QPushButton("Compare with…")
        self.compare_button.setToolTip("Measure another stack on the same batch and line the two up layer by layer")
        compare_menu = QMenu(self.compare_button)
        presets = compare_menu.addMenu("Preset")
        for name in preset_names():
            presets.addAction(name, lambda n=name: self.run_compare(load_preset(n)))
        compare_menu.addAction("Spec file…", self._compare_with_file)
        self.compare_button.setMenu(compare_menu)
        bar.addWidget(self.compare_button)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self._stop.set)
        bar.addWidget(self.stop_button)
        layout.addLayout(bar)
        layout.addLayout(second)

        self.status = FittingLabel()
        self.status.setStyleSheet(f"color: {MUTED}; padding: 2px 4px;")
        layout.addWidget(self.status)

        splitter = self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.list_widget = _CardList()
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.setContentsMargins(0, 0, 4, 0)
        self.list_layout.setSpacing(6)
        self.list_layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list_widget)
        splitter.addWidget(scroll)

        self.tabs = QTabWidget()
        self.init_chart, self.trial_chart, self.compare_chart = InitChart(), TrialChart(), CompareChart()
        self.checks_label, self.init_cover = self._add_chart_tab(
            "Signal per layer", self.init_chart, "Run “Check at initialisation” to see, layer by layer, how much of "
            "each activation depends on the image.", "Check again", self.run_init_check)
        self.ranking_label, self.trial_cover = self._add_chart_tab(
            "Trial runs", self.trial_chart, "“Try fixes” trains the network as it is and with each candidate fix for "
            "a few steps and ranks them by how far the loss gets from chance.", "Try fixes again", self.run_trials)
        self.compare_label, self.compare_cover = self._add_chart_tab(
            "Compare", self.compare_chart, "“Compare with…” measures another stack on the same batch of images and "
            "shows, layer by layer, where each one loses the part of the signal that depends on the image.",
            "Compare again", lambda: self.run_compare(self._compare_other))
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout.addWidget(splitter, 1)

    def _add_chart_tab(self, title: str, chart: QWidget, text: str, again_text: str, again) -> tuple:
        """A tab with ``chart`` above a word-wrapped note; returns the note and the page's stale cover."""
        page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(4, 4, 4, 4)
        page_layout.addWidget(chart, 1)
        label = FittingLabel(text)
        page_layout.addWidget(label)
        self.tabs.addTab(page, title)
        return label, StaleCover(page, again_text, again)

    def _update_covers(self) -> None:
        """Grey out every chart measured on another network than the open one."""
        current = init_inputs(self.document.spec)
        reason = "" if self.document.analysis.ok else "the spec changed, and has errors to fix before measuring again."
        for cover, key in ((self.init_cover, self._init_key), (self.trial_cover, self._trial_key),
                           (self.compare_cover, self._compare_key)):
            cover.set_stale(key is not None and key != current, reason)
            cover.button.setEnabled(self.document.analysis.ok and not self._busy())

    # -- findings ------------------------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """Everything shown now: static, init (while it matches the spec) and training findings."""
        init = self.init_report.findings if self.init_report and self._init_matches(self.document.spec) else []
        verdict = self.verdict if self._verdict_spec == self.document.spec.to_dict() else []
        return sort_findings(self.static + init + self.training + verdict)

    def refresh(self) -> None:
        """Re-run the static rules on the current spec and redraw the list and the layer markers."""
        self.static = static_findings(self.document.spec, self.document.analysis)
        if self._stale_note():
            self.status.setText(self._stale_note())
        self._redraw()
        self._update_covers()

    def _init_matches(self, spec: ModelSpec) -> bool:
        """Whether the shown init report still describes ``spec`` (edits to e.g. the epochs do not matter)."""
        return self._init_key is not None and self._init_key == init_inputs(spec)

    def _stale_note(self) -> str:
        if self.init_report is None or self._init_matches(self.document.spec):
            return ""
        return "The spec changed since the check at initialisation: run it again for current numbers."

    def add_training_finding(self, finding: Finding) -> None:
        """A finding from a training run (a DiagnosisEvent's finding)."""
        if any(f.rule == finding.rule and f.layers == finding.layers for f in self.training):
            return
        self.training.append(finding)
        self._redraw()

    def clear_training_findings(self) -> None:
        """Forget the findings of an earlier run (a new run starts)."""
        if self.training:
            self.training = []
            self._redraw()

    def _redraw(self) -> None:
        while self.list_layout.count():
            item = self.list_layout.takeAt(0)
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        findings = self.findings()
        for finding in findings:
            self.list_layout.addWidget(FindingCard(finding, self.apply_fix))
        if not findings:
            checked = self.init_report is not None and self._init_matches(self.document.spec)
            empty = QLabel("No problems found: the spec rules and the check at initialisation pass." if checked else
                           "No problems found in the spec. Run “Check at initialisation” to measure the network on "
                           "your data.")
            empty.setWordWrap(True)
            empty.setStyleSheet(f"color: {MUTED}; padding: 8px;")
            self.list_layout.addWidget(empty)
        self.list_layout.addStretch(1)
        self.list_widget.fit_cards()
        if self._list_empty is not (not findings):  # give the chart the room an empty list leaves, once
            self._list_empty = not findings
            total = max(sum(self.splitter.sizes()), 400)
            list_height = 70 if not findings else max(total * 55 // 100, total - 420)
            self.splitter.setSizes([list_height, total - list_height])
        self.document.set_markers("doctor", _markers(findings))
        self.findingsChanged.emit(findings)

    def apply_fix(self, fix: Fix) -> None:
        """Apply ``fix`` to the current spec as one undoable edit."""
        try:
            new_spec = fix(self.document.spec)
        except (KeyError, ValueError):
            self.status.setText(f"“{fix.label}” no longer fits the spec (a layer it edits is gone). Re-run the checks.")
            return
        self.document.apply(new_spec, f"Apply fix: {fix.label}")
        self.status.setText(f"Applied: {fix.label} (Undo reverts it). {self._stale_note()}".strip())

    # -- background work -----------------------------------------------------------------------
    def _busy(self) -> bool:
        return self._task is not None and self._task.isRunning()

    def _start(self, fn, on_done, message: str) -> None:
        if self._busy():
            return
        self._stop.clear()
        for button in (self.init_button, self.trial_button, self.compare_button):
            button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status.setText(message)
        self._update_covers()
        self._task = BackgroundTask(fn, self)
        self._task.done.connect(on_done)
        self._task.error.connect(self._on_error)
        self._task.finished.connect(self._idle)
        self._task.start()

    def _idle(self) -> None:
        for button in (self.init_button, self.trial_button, self.compare_button):
            button.setEnabled(True)
        self.stop_button.setEnabled(False)
        self._update_covers()

    def _on_error(self, message: str) -> None:
        self.status.setText(message)

    def run_init_check(self) -> None:
        """Measure the current spec at initialisation on one batch of its data, off the GUI thread."""
        if not self.document.analysis.ok:
            self.status.setText("Fix the errors in the spec first: the network cannot be built yet.")
            return
        spec = self.document.snapshot()
        self._start(lambda: (spec, check_init(spec)), self._on_init_done, "Measuring one batch at initialisation…")

    def _on_init_done(self, result) -> None:
        spec, report = result
        self.show_init_report(report, spec)

    def show_init_report(self, report: InitReport, spec=None) -> None:
        """Show an init report (made for ``spec``, default the current spec): chart, checks and findings."""
        self.init_report, self._init_key = report, init_inputs(spec or self.document.spec)
        self.init_chart.show_report(report)
        m = report.measurement
        checks = "; ".join(f"{'✓' if c.passed else '✗'} {c.name}: {c.value}" for c in report.checks)
        self.checks_label.setText(f"Input-dependent share of the logits: {m.logit_share:.3%}. Usual checks: {checks}.")
        self.tabs.setCurrentIndex(0)
        self._redraw()
        self.status.setText(f"Checked at initialisation on {m.batch} images. {count_text(self.findings())}")
        self._update_covers()

    def run_compare(self, other: ModelSpec) -> None:
        """Measure the open spec and ``other`` at initialisation on one batch of the open spec's data."""
        spec = self.document.snapshot()
        if (other.input, other.num_classes) != (spec.input, spec.num_classes):
            self.status.setText(f"Cannot compare with {other.name}: it takes a different input or class count.")
            return
        if not self.document.analysis.ok:
            self.status.setText("Fix the errors in the spec first: the network cannot be built yet.")
            return

        self._compare_other = other

        def work():
            inputs, targets = init_batch(spec)
            return spec, compare_init(spec, other, inputs, targets)

        self._start(work, self._on_compare_done, f"Measuring {spec.name} and {other.name} at initialisation…")

    def _compare_with_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Compare with a spec", "", "Model specs (*.yaml *.yml)")
        if not path:
            return
        try:
            other = load_spec(path)
        except SpecError as exc:
            self.status.setText(f"Cannot compare with {path}: " + "; ".join(p.format() for p in exc.problems[:3]))
            return
        self.run_compare(other)

    def _on_compare_done(self, result) -> None:
        spec, comparison = result
        self.show_comparison(comparison, spec)

    def show_comparison(self, comparison: Comparison, spec: ModelSpec | None = None) -> None:
        """Show a comparison of ``spec`` (default: the open spec) with another stack."""
        self.comparison, self._compare_key = comparison, init_inputs(spec or self.document.spec)
        self.compare_chart.show_comparison(comparison)
        self.compare_label.setText(comparison.finding.explanation)
        self.status.setText(f"Compared {comparison.report_a.spec_name} with {comparison.report_b.spec_name}.")
        self.tabs.setCurrentIndex(2)
        self._update_covers()

    def run_trials(self) -> None:
        """Train the spec as it is and with the candidate fixes for a few steps each, off the GUI thread."""
        if not self.document.analysis.ok:
            self.status.setText("Fix the errors in the spec first: the network cannot be built yet.")
            return
        spec, steps = self.document.snapshot(), self.steps.value()
        fresh = self.init_report if self._init_matches(spec) else None
        static = list(self.static)

        def work():
            report = fresh or check_init(spec)
            fixes = candidate_fixes(spec, static + report.findings)
            results = try_fixes(spec, fixes, steps=steps, should_stop=self._stop.is_set,
                                progress=lambda r, done, total: self._relay.trial.emit(r, done, total))
            stopped = self._stop.is_set() or len(results) < len(fixes) + 1
            return spec, results, [] if stopped else learning_verdict(spec, fixes, results, steps)

        self.trial_results, self._trial_key = [], None
        self.trial_chart.reset(math.log(spec.num_classes))
        self.tabs.setCurrentIndex(1)
        self._start(work, self._on_trials_done, f"Trial runs of {steps} steps each…")

    def _on_trial(self, result: TrialResult, done: int, total: int) -> None:
        self.trial_results.append(result)
        self.trial_chart.add_result(result)
        self.status.setText(f"Trial {done} of {total} done: {result.label}")

    def _on_trials_done(self, result) -> None:
        spec, ranked, verdict = result
        self.show_trials(spec, ranked, verdict)

    def show_trials(self, spec, ranked: list[TrialResult], verdict: list[Finding] = ()) -> None:
        """Show ranked trial results (best first); ``verdict`` (a "does not learn" finding, from all the trials
        run to the end) joins the list of findings with its fix while the spec is unchanged."""
        chance = math.log(spec.num_classes)
        if not self.trial_results:
            self.trial_chart.reset(chance)
            for r in ranked:
                self.trial_chart.add_result(r)
        self.trial_results, self._trial_key = list(ranked), init_inputs(spec)
        self.verdict, self._verdict_spec = list(verdict), spec.to_dict()
        self._redraw()
        self._update_covers()
        lines = []
        for i, r in enumerate(ranked, start=1):
            outcome = f"failed: {r.error}" if r.error else f"final loss {r.final_loss:.3f} ({r.score(chance):+.0%} from chance)"
            lines.append(f"{i}. {r.label} — {outcome}")
        self.ranking_label.setText("Ranked by distance from chance:<br>" + "<br>".join(lines))
        self.status.setText("Trial runs done." if ranked else "Trial runs stopped.")

    def shutdown(self) -> None:
        """Stop background work and wait for it (call before the panel goes away)."""
        self._stop.set()
        if self._task is not None:
            self._task.wait()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self.shutdown()
        super().closeEvent(event)


def count_text(findings: list[Finding]) -> str:
    """'The list shows 2 errors and 1 warning.' — the same counts as the Doctor tab's title."""
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    if not errors and not warnings:
        return "The list shows no errors or warnings."
    parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in ((errors, "error"), (warnings, "warning")) if n]
    return f"The list shows {' and '.join(parts)}."


def _markers(findings: list[Finding]) -> dict[str, tuple[str, str]]:
    """Layer name -> (worst severity, titles) for the layer cards."""
    out: dict[str, tuple[str, str]] = {}
    for f in findings:
        for layer in f.layers:
            if layer in out:
                sev, text = out[layer]
                worst = min(sev, f.severity, key=SEVERITIES.index)
                out[layer] = (worst, f"{text}\n{f.title}")
            else:
                out[layer] = (f.severity, f.title)
    return out
