"""``runs --report RUN``: one self-contained HTML file whose pictures render in a real browser (Chromium)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from workbench.cli import main
from workbench.training import open_run

# appended to a copy of the report: records every picture's decoded size once the page has loaded
PROBE = """<script>window.addEventListener("load", () => {
  document.body.setAttribute("data-sizes", JSON.stringify([...document.images].map(
    i => [i.alt, i.complete, i.naturalWidth, i.naturalHeight])));
});</script>"""


def _chromium() -> str | None:
    return next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)


@pytest.fixture(scope="module")
def report(shapes_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    run = shutil.copytree(shapes_run, folder / "run")
    with (run / "findings.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"step": 40, "severity": "warning", "title": "validation loss < train <loss>",
                             "layers": ["conv2"], "explanation": "measured over 3 epochs"}) + "\n")
    out = folder / "report.html"
    assert main(["runs", "--report", str(run), "--out", str(out)]) == 0
    return out


def test_the_report_holds_every_section_and_needs_no_other_file(report, shapes_run):
    html = report.read_text(encoding="utf-8")
    for heading in ("Network", "Loss and accuracy", "Confusion matrix", "Per-class accuracy", "Validation mistakes",
                    "Doctor"):
        assert f">{heading}</h" in html
    sources = re.findall(r'<img[^>]* src="([^"]*)"', html)
    assert len(sources) >= 3 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'(href|src)="(?!data:)', html)
    assert "conv3" in html and "32×16×16" in html  # the spec table
    assert "validation loss &lt; train &lt;loss&gt;" in html and "during training, step 40" in html
    confusion = open_run(shapes_run).confusion
    for name, row in zip(confusion["classes"], confusion["matrix"]):
        assert f"<td>{name}</td><td class=num>{sum(row)}</td>" in html


def test_the_pictures_render_in_a_headless_browser(report, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    probe = tmp_path / "probe.html"
    probe.write_text(report.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                           "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'data-sizes="([^"]*)"', done.stdout)
    assert found, done.stderr[-2000:]
    sizes = json.loads(found.group(1).replace("&quot;", '"'))
    assert [alt for alt, *_ in sizes] == ["curves", "confusion matrix", "validation mistakes"] or \
        [alt for alt, *_ in sizes] == ["curves", "confusion matrix"]
    for alt, complete, width, height in sizes:
        assert complete and width > 100 and height > 100, alt


def test_a_folder_that_is_not_a_run_gets_a_clear_message(tmp_path, capsys):
    assert main(["runs", "--report", str(tmp_path), "--out", str(tmp_path / "r.html")]) == 1
    assert "is not a run folder" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_the_report_table_lists_every_layer_inside_the_blocks_of_resnet_8(tmp_path):
    from workbench.analysis import analyze
    from workbench.insight.report import report_html
    from workbench.presets import load_preset
    from workbench.training import Trainer

    spec = load_preset("resnet-8")
    spec.data.update(images=24, val_split=0.25)
    spec.training.update(epochs=1, batch_size=18)
    ended = Trainer(spec, run_dir=tmp_path / "run", device="cpu").run()
    assert ended.status == "completed", ended.reason
    html = report_html(tmp_path / "run")
    table = html[html.index(">Network</h2>"):html.index(">Loss and accuracy</h2>")]
    names = re.findall(r"<tr><td>([^<]*)</td>", table)
    assert [n.replace("\u00a0", "") for n in names] == ["input"] + [info.path for info in analyze(spec).rows()]
    assert "\u00a0" * 4 + "stage2.0.body.s2conv1" in names and "\u00a0" * 4 + "stage2.0.shortcut" in names
    assert "<td>stage2</td><td>residual 16→32</td>" in table
