"""Make the screenshots of the Inside panel (offscreen, nothing opens on screen):

- docs/img/inside-feature-maps.png: a validation image's feature maps at conv1_2 of tiny-vgg;
- docs/img/inside-gradcam-mistake.png: Grad-CAM on a validation mistake ("why did it call this a square?"),
  clicked in the Results grid;
- the same two at 1024×700 (``-1024`` in the name) to check the small window.

    python docs/make_insight_screenshots.py [--epochs 3]

The run (tiny-vgg on the shapes, histograms every 5 steps) goes to a temporary folder.
"""

from __future__ import annotations

import argparse

from screenshot_window import close, new_window, save, settle, start_app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3, help="epochs of tiny-vgg's run")
    args = parser.parse_args()
    app, scratch = start_app()

    import numpy as np

    from workbench.insight.histograms import HistogramRecorder
    from workbench.presets import resolve_spec
    from workbench.training import Trainer, open_run
    from workbench.training.validation import predict_run

    spec = resolve_spec("tiny-vgg").copy()
    spec.training["epochs"] = args.epochs
    run_dir = scratch / "runs" / "tiny-vgg"
    Trainer(spec, run_dir=run_dir, device="cpu", callbacks=[HistogramRecorder(every=5)]).run()
    results = predict_run(open_run(run_dir))
    mistakes = np.flatnonzero(results.true != results.predicted)
    print(f"{len(mistakes)} mistakes among the {len(results.true)} images shown")

    for size, suffix in (((1400, 900), ""), ((1024, 700), "-1024")):
        window = new_window(scratch, "tiny-vgg", size)
        panels = window.panels
        panels.training.results.run_dir = str(run_dir)
        panels.training.results.show_results(results)
        first = int(mistakes[0]) if len(mistakes) else 0
        panels.look_at_validation_image(str(run_dir), first)
        settle(app)
        save(window, f"inside-gradcam-mistake{suffix}.png")
        inside = panels.inside
        inside.tabs.setCurrentWidget(inside.channels)
        inside.layers.setCurrentRow(1)
        inside.layers.setFocus()
        settle(app)
        save(window, f"inside-feature-maps{suffix}.png")
        close(window)


if __name__ == "__main__":
    main()
