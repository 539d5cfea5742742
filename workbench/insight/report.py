"""A run as one self-contained HTML file to send to a colleague: every picture is inside it as a data URI.

It holds the run's facts, the spec table, the loss and accuracy curves, the confusion matrix with per-class
accuracy, a grid of validation mistakes (each with where the model looked, Grad-CAM for the predicted class)
and the doctor's findings (those on the spec and those made while it trained).
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

import numpy as np
import torch

from workbench.analysis import analyze
from workbench.analysis.formatting import summary_rows
from workbench.atomic_write import replace_atomically
from workbench.data.errors import DataError
from workbench.doctor import sort_findings, static_findings
from workbench.insight.pictures import confusion_picture, curves_picture, image_grid, png_bytes
from workbench.training.runs import RunRecord, open_run

MAX_MISTAKES = 18
STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 980px; color: #1d2330; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #ccd; }
table { border-collapse: collapse; font-size: 13px; } td, th { padding: 3px 10px; border-bottom: 1px solid #e4e6ee; }
th { text-align: left; background: #f1f3f8; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; } .muted { color: #667; } .error { color: #b3261e; } .warning { color: #9a5b00; }
.finding { margin: 10px 0; } .finding p { margin: 3px 0 0 0; font-size: 13px; }
"""


def _img(rgb: np.ndarray, alt: str) -> str:
    data = base64.b64encode(png_bytes(rgb)).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _table(header: tuple[str, ...], rows: list[tuple], numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td{" class=num" if i in numeric else ""}>{escape(str(c))}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _pct(value) -> str:
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.1%}"


def _facts(run: RunRecord) -> str:
    summary = run.summary or {}
    best = summary.get("best") or {}
    rows = [("run folder", run.name), ("status", f"{run.status}: {summary.get('reason', '')}".rstrip(": ")),
            ("device", summary.get("device") or run.meta.get("device", "?")),
            ("epochs / steps", f"{summary.get('epochs', len(run.epochs))} / {summary.get('steps', '?')}"),
            ("best validation accuracy", f"{_pct(best.get('val_acc'))} (epoch {best.get('epoch', '—')})")]
    if summary.get("duration_s") is not None:
        rows.append(("training time", f"{summary['duration_s']:.1f} s"))
    return _table(("", ""), rows)


def _spec_table(spec) -> str:
    """The summary's rows: every layer of the tree under its path name, indented inside its block."""
    rows = summary_rows(analyze(spec), indent="\u00a0" * 4)
    return _table(("layer", "type", "output", "params", "MACs", "RF /jump"), rows, {3, 4})


def _confusion(run: RunRecord) -> str:
    confusion = run.confusion
    if not confusion or not confusion.get("matrix"):
        return '<p class="muted">No epoch has ended yet, so there is no confusion matrix.</p>'
    names, matrix = confusion["classes"], np.asarray(confusion["matrix"])
    totals = matrix.sum(axis=1)
    rows = [(name, int(totals[i]), int(matrix[i, i]), _pct(matrix[i, i] / totals[i] if totals[i] else None))
            for i, name in enumerate(names)]
    return (f"<p>At epoch {escape(str(confusion.get('epoch')))}; rows are the true class, columns the prediction.</p>"
            + _img(confusion_picture(matrix.tolist(), names), "confusion matrix")
            + "<h3>Per-class accuracy</h3>" + _table(("class", "images", "right", "accuracy"), rows, {1, 2, 3}))


def _mistakes(run: RunRecord) -> str:
    from workbench.export.trained import trained_from_run
    from workbench.insight.explain import Explainer
    from workbench.insight.overlay import explanation_picture
    from workbench.training.validation import predict_run

    if not run.checkpoint_path("best").is_file():
        return '<p class="muted">The run has no best checkpoint yet, so no model to run on the images.</p>'
    try:
        results = predict_run(run)
    except DataError as exc:
        return f'<p class="muted">The validation images cannot be loaded again: {escape(exc.message)}</p>'
    if results is None:
        return '<p class="muted">This run has no validation split.</p>'
    wrong = np.flatnonzero(results.true != results.predicted)[:MAX_MISTAKES]
    if not len(wrong):
        return f'<p>No mistakes among the {int(results.confusion.sum())} validation images.</p>'
    explainer = Explainer(trained_from_run(run.path, "best"))
    names = results.class_names
    pictures, captions = [], []
    for i in wrong:
        image = torch.from_numpy(results.images[i])
        explained = explainer.explain(image)
        pictures.append(explanation_picture(explained.image, explained.attribution.heat))
        captions.append(f"{names[results.true[i]]} → {names[results.predicted[i]]} "
                        f"({explained.probabilities[explained.predicted]:.0%})")
    total = int(results.confusion.sum() - np.trace(results.confusion))
    return (f"<p>{len(wrong)} of {total} mistakes: true class → predicted class (confidence); beside each image, "
            "where the model looked for the class it chose (Grad-CAM).</p>"
            + _img(image_grid(pictures, captions, columns=min(3, len(pictures))), "validation mistakes"))


def _findings(run: RunRecord) -> str:
    static = [f.to_dict() | {"when": "on the spec"} for f in sort_findings(static_findings(run.spec))]
    during = [dict(f) | {"when": f"during training, step {f.get('step', '?')}"} for f in run.findings]
    items = static + during
    if not items:
        return "<p>The doctor found nothing to report.</p>"
    out = []
    for f in items:
        severity = str(f.get("severity", "info"))
        layers = f" ({escape(', '.join(map(str, f.get('layers') or [])))})" if f.get("layers") else ""
        out.append(f'<div class="finding"><b class="{escape(severity)}">{escape(severity)}</b>: '
                   f"<b>{escape(str(f.get('title', '')))}</b>{layers} <span class=muted>— {escape(f['when'])}</span>"
                   f"<p>{escape(str(f.get('explanation', '')))}</p></div>")
    return "".join(out)


def report_html(run_dir) -> str:
    """The HTML text of the report of the run in ``run_dir``; :class:`TrainingError` when it is not a run."""
    run = open_run(run_dir)
    spec = run.spec
    sections = [
        f"<h1>{escape(spec.name)}</h1><p class=muted>{escape(spec.description or '')}</p>", _facts(run),
        "<h2>Network</h2>", _spec_table(spec),
        "<h2>Loss and accuracy</h2>", _img(curves_picture(run.epochs, run.steps, spec.num_classes), "curves"),
        "<h2>Confusion matrix</h2>", _confusion(run),
        "<h2>Validation mistakes</h2>", _mistakes(run),
        "<h2>Doctor</h2>", _findings(run),
    ]
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<title>{escape(spec.name)} — {escape(run.name)}</title><style>{STYLE}</style></head><body>"
            + "\n".join(sections) + "</body></html>\n")


def write_report(run_dir, out) -> Path:
    """Write the report to ``out`` (replaced atomically) and return its path."""
    out = Path(out)
    html = report_html(run_dir)
    return replace_atomically(out, lambda tmp: tmp.write_text(html, encoding="utf-8"))
