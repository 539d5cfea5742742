"""The hostile corpus: broken, damaged, malicious or merely careless inputs, each with the command that reads it.

Every case is made here, by code, in a temporary folder: spec files, bundles, ONNX files, run folders and
image folders. ``refuse`` cases must end with exit status 1 or 2 and a message; ``accept`` cases must work
(status 0). Either way: no traceback, no raw control character, within the time and memory limits.
"""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ESC = "\x1b[2J\x1b]0;owned\x07"  # clear the screen, retitle the terminal
YAML_ESC = r"\e[2J\e]0;owned\a"  # the same, as YAML writes it in a double-quoted text

TINY = """schema_version: 1
name: tiny
input: {channels: 1, height: 8, width: 8}
classes: [a, b, c]
layers:
  - {name: f, type: flatten}
  - {name: d, type: dense, units: 3}
data: {source: shapes, images: 30, seed: 0, val_split: 0.2}
training: {optimizer: adam, lr: 0.01, batch_size: 8, epochs: 1, seed: 0}
"""


def alias_bomb(levels: int = 9) -> str:
    lines = ['l0: &l0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{','.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


@dataclass
class Context:
    """Where the cases live, and the genuine artefacts they are made from."""

    root: Path
    run: Path  # a finished run folder of TINY
    bundle: Path
    onnx: Path
    image: Path  # one image file
    images: Path  # an image folder with classes a, b, c

    def file(self, name: str, content: str | bytes) -> str:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return str(path)


@dataclass(frozen=True)
class Case:
    id: str
    expect: str  # "refuse" or "accept"
    make: Callable[[Context], list[str]]  # builds the input, returns the command line (after python -m workbench)
    quick: float | None = None  # seconds it must take at most, where that is the point of the case
    says: str = ""  # a fragment the output must hold


def _spec(name: str, text: str | bytes, verb: str = "check") -> Callable[[Context], list[str]]:
    return lambda ctx: [verb, ctx.file(f"specs/{name}.yaml", text)]


def _tiny(old: str, new: str) -> str:
    assert old in TINY
    return TINY.replace(old, new)


def _train(name: str, text: str, *extra: str) -> Callable[[Context], list[str]]:
    return lambda ctx: ["train", ctx.file(f"specs/{name}.yaml", text), "--no-doctor",
                        "--out", str(ctx.root / "runs"), *extra]


def _special(path_of: Callable[[Context], str], verb: str = "check") -> Callable[[Context], list[str]]:
    return lambda ctx: [verb, path_of(ctx)]


def _fifo(ctx: Context, name: str) -> str:
    path = ctx.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return str(path)


SPEC_CASES = [
    Case("spec-alias-bomb-9", "refuse", _spec("bomb", alias_bomb(9)), quick=1.0, says="aliases"),
    Case("spec-alias-bomb-summary", "refuse", _spec("bomb2", alias_bomb(9), "summary"), quick=1.0),
    Case("spec-one-alias", "refuse", _spec("alias", _tiny("  - {name: f, type: flatten}\n",
                                                          "  - &x {name: f, type: flatten}\n  - *x\n"))),
    Case("spec-merge-key", "refuse", _spec("merge", "base: &b {lr: 1}\ntraining: {<<: *b}\n")),
    Case("spec-python-object-tag", "refuse", _spec("pyobj", "name: !!python/object/apply:os.system [ls]\n"),
         says="tags are not allowed"),
    Case("spec-custom-tag", "refuse", _spec("tag", "name: !evil x\n"), says="tags are not allowed"),
    Case("spec-duplicate-layer-key", "refuse",
         _spec("dup", _tiny("{name: d, type: dense, units: 3}", "{name: d, type: dense, units: 3, units: 300}")),
         says="duplicate key"),
    Case("spec-duplicate-top-key", "refuse", _spec("dup2", TINY + "classes: 5\n"), says="duplicate key"),
    Case("spec-nested-brackets", "refuse", _spec("deep", "[" * 20_000), quick=2.0),
    Case("spec-nested-mappings", "refuse", _spec("deep2", "{a: " * 5_000)),
    Case("spec-type-list", "refuse", _spec("tl", _tiny("type: flatten", "type: [flatten]"))),
    Case("spec-type-mapping", "refuse", _spec("tm", _tiny("type: flatten", "type: {flatten: 1}"))),
    Case("spec-unhashable-key", "refuse", _spec("uk", "{[a]: 1}\n")),
    Case("spec-complex-key", "refuse", _spec("ck", "? [a, b]\n: 1\n")),
    Case("spec-latin1", "refuse", _spec("latin", ("description: café\n" + TINY).encode("latin-1")), says="UTF-8"),
    Case("spec-png-bytes", "refuse", _spec("png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))),
    Case("spec-nul-bytes", "refuse", _spec("nul", "name: a\x00b\n")),
    Case("spec-raw-escape", "refuse", _spec("rawesc", f"name: tiny{ESC}\n"), says="0x1b"),
    Case("spec-empty", "refuse", _spec("empty", "")),
    Case("spec-only-comment", "refuse", _spec("comment", "# nothing\n")),
    Case("spec-top-level-list", "refuse", _spec("list", "- a\n- b\n")),
    Case("spec-top-level-number", "refuse", _spec("number", "42\n")),
    Case("spec-oversized", "refuse", _spec("big", "# " + "x" * 6_000_000 + "\n"), says="too large"),
    Case("spec-dev-zero", "refuse", _special(lambda ctx: "/dev/zero"), quick=5.0),
    Case("spec-fifo", "refuse", _special(lambda ctx: _fifo(ctx, "specs/fifo.yaml")), quick=5.0),
    Case("spec-folder", "refuse", _special(lambda ctx: str(ctx.root))),
    Case("spec-missing", "refuse", _special(lambda ctx: str(ctx.root / "missing.yaml"))),
    Case("spec-unclosed-bracket", "refuse", _spec("unclosed", "layers: [\n")),
    Case("spec-tab-indent", "refuse", _spec("tabs", "layers:\n\t- {name: f}\n")),
    Case("spec-two-documents", "refuse", _spec("twodocs", TINY + "---\n" + TINY)),
    Case("spec-future-schema", "refuse", _spec("future", _tiny("schema_version: 1", "schema_version: 99"))),
    Case("spec-schema-text", "refuse", _spec("schematext", _tiny("schema_version: 1", "schema_version: one"))),
    Case("spec-one-class", "refuse", _spec("oneclass", _tiny("classes: [a, b, c]", "classes: 1"))),
    Case("spec-repeated-classes", "refuse", _spec("repclass", _tiny("classes: [a, b, c]", "classes: [a, a, b]"))),
    Case("spec-zero-channels", "refuse", _spec("zeroch", _tiny("channels: 1", "channels: 0"))),
    Case("spec-huge-input", "refuse", _spec("hugein", _tiny("height: 8, width: 8", "height: 100000, width: 100000"))),
    Case("spec-huge-units", "refuse", _spec("hugeunits", _tiny("units: 3", "units: 1000000000000000000000000"))),
    Case("spec-layers-not-list", "refuse", _spec("layersmap", "layers: {a: 1}\n")),
    Case("spec-unknown-type", "refuse", _spec("unknowntype", _tiny("type: flatten", "type: flaten"))),
    Case("spec-escape-in-layer-name", "refuse", _spec("escname", _tiny("name: f,", f'name: "f{YAML_ESC}",'))),
    Case("spec-lr-nan", "refuse", _spec("lrnan", _tiny("lr: 0.01", "lr: .nan")), says="training.lr"),
    Case("spec-images-below-classes", "refuse", _spec("fewimages", _tiny("images: 30", "images: 2"))),
    Case("spec-escape-in-name-summary", "accept", _spec("escape", _tiny("name: tiny", f'name: "tiny{YAML_ESC}"'), "summary")),
    Case("spec-valid", "accept", _spec("valid", TINY)),
]

TRAIN_CASES = [
    Case("train-batch-size-negative", "refuse", _train("bsneg", _tiny("batch_size: 8", "batch_size: -5")),
         says="training.batch_size"),
    Case("train-batch-size-zero", "refuse", _train("bszero", _tiny("batch_size: 8", "batch_size: 0"))),
    Case("train-epochs-negative", "refuse", _train("epneg", _tiny("epochs: 1", "epochs: -1"))),
    Case("train-epochs-huge", "refuse", _train("ephuge", _tiny("epochs: 1", "epochs: 1e9"))),
    Case("train-lr-negative", "refuse", _train("lrneg", _tiny("lr: 0.01", "lr: -0.1"))),
    Case("train-lr-text", "refuse", _train("lrtext", _tiny("lr: 0.01", "lr: '1e-3'"))),
    Case("train-lr-inf", "refuse", _train("lrinf", _tiny("lr: 0.01", "lr: .inf"))),
    Case("train-device-tpu", "refuse", _train("tpu", _tiny("seed: 0}\n", "seed: 0, device: tpu}\n")),
         says="training.device"),
    Case("train-out-is-a-file", "refuse", lambda ctx: ["train", ctx.file("specs/outfile.yaml", TINY), "--no-doctor",
                                                       "--out", ctx.file("specs/outfile2.yaml", TINY)]),
]


def _rezip(ctx: Context, name: str, change: Callable[[dict[str, bytes]], dict[str, bytes]]) -> str:
    with zipfile.ZipFile(ctx.bundle) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    path = ctx.root / "bundles" / f"{name}.wbm"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member, data in change(members).items():
            zf.writestr(member, data)
    return str(path)


def _with(member: str, data: bytes) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    return lambda members: {**members, member: data}


def _model_json(change: Callable[[dict], None]) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    def apply(members):
        info = json.loads(members["model.json"])
        change(info)
        return {**members, "model.json": json.dumps(info).encode()}

    return apply


def _bundle(name: str, change, verb: str = "predict") -> Callable[[Context], list[str]]:
    def make(ctx):
        path = _rezip(ctx, name, change)
        return ["predict", path, str(ctx.image)] if verb == "predict" else [*verb.split(), path]

    return make


def _spec_member(text: str):
    return _with("spec.yaml", text.encode())


def _bundle_spec(mutate: Callable[[str], str]):
    def apply(members):
        return {**members, "spec.yaml": mutate(members["spec.yaml"].decode()).encode()}

    return apply


def _truncated(ctx: Context) -> list[str]:
    data = ctx.bundle.read_bytes()
    return ["predict", ctx.file("bundles/truncated.wbm", data[: len(data) // 2]), str(ctx.image)]


def _traversal(ctx: Context) -> list[str]:
    return ["predict", _rezip(ctx, "traversal", lambda m: {**m, "../../evil.txt": b"x"}), str(ctx.image)]


def _zip_bomb(ctx: Context) -> list[str]:
    path = ctx.root / "bundles" / "zipbomb.wbm"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(ctx.bundle) as src, zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n in src.namelist():
            zf.writestr(n, b"\0" * 80_000_000 if n == "metrics.json" else src.read(n))
    return ["predict", str(path), str(ctx.image)]


BUNDLE_CASES = [
    Case("bundle-valid-predict", "accept", lambda ctx: ["predict", str(ctx.bundle), str(ctx.image)]),
    Case("bundle-spec-bomb-predict", "refuse", _bundle("bomb", _spec_member(alias_bomb(9))), quick=3.0),
    Case("bundle-spec-bomb-summary", "refuse", _bundle("bomb2", _spec_member(alias_bomb(9)), "summary"), quick=3.0),
    Case("bundle-spec-bomb-runs-show", "refuse", _bundle("bomb3", _spec_member(alias_bomb(9)), "runs --show"), quick=3.0),
    Case("bundle-spec-duplicate-key", "refuse",
         _bundle("dup", _bundle_spec(lambda s: s.replace("schema_version: ", "schema_version: 2\nschema_version: ", 1)))),
    Case("bundle-spec-type-list", "refuse", _bundle("typelist", _bundle_spec(lambda s: s.replace("type: flatten", "type: [flatten]")))),
    Case("bundle-spec-lr-nan", "refuse", _bundle("lrnan", _bundle_spec(lambda s: s.replace("lr: 0.01", "lr: .nan"))),
         says="training.lr"),
    Case("bundle-class-names-escapes", "accept",
         _bundle("escapes", _model_json(lambda i: i.update(class_names=[f"a{ESC}", "b\r\x1b[1A", "c\x9b2J"])))),
    Case("bundle-class-names-escapes-show", "accept",
         _bundle("escapes2", _bundle_spec(lambda s: s.replace("name: tiny", f'name: "tiny{YAML_ESC}"')), "runs --show")),
    Case("bundle-std-zero", "refuse", _bundle("stdzero", _model_json(lambda i: i["normalization"].update(std=[0.0])))),
    Case("bundle-truncated", "refuse", _truncated),
    Case("bundle-not-a-zip", "refuse", lambda ctx: ["predict", ctx.file("bundles/text.wbm", "hello"), str(ctx.image)]),
    Case("bundle-empty", "refuse", lambda ctx: ["predict", ctx.file("bundles/empty.wbm", b""), str(ctx.image)]),
    Case("bundle-traversal-member", "refuse", _traversal),
    Case("bundle-zip-bomb-member", "refuse", _zip_bomb, quick=10.0),
    Case("bundle-check-verb", "refuse", _bundle("checkbomb", _spec_member(alias_bomb(9)), "check")),
]


def _onnx(name: str, meta: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> Callable[[Context], list[str]]:
    def make(ctx):
        import onnx

        proto = onnx.load(str(ctx.onnx))
        entries = {p.key: p.value for p in proto.metadata_props}
        entries.update(meta or {})
        for key in drop:
            entries.pop(key, None)
        del proto.metadata_props[:]
        for key, value in entries.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        path = ctx.root / "onnx" / f"{name}.onnx"
        path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save(proto, str(path))
        return ["predict", str(path), str(ctx.image)]

    return make


def _onnx_bytes(name: str, content: Callable[[bytes], bytes]) -> Callable[[Context], list[str]]:
    return lambda ctx: ["predict", ctx.file(f"onnx/{name}.onnx", content(ctx.onnx.read_bytes())), str(ctx.image)]


ONNX_CASES = [
    Case("onnx-valid", "accept", lambda ctx: ["predict", str(ctx.onnx), str(ctx.image)]),
    Case("onnx-input-60000", "refuse", _onnx("huge", {"input": json.dumps({"channels": 1, "height": 60000, "width": 60000})}),
         quick=5.0),
    Case("onnx-input-mismatch", "refuse", _onnx("mismatch", {"input": json.dumps({"channels": 1, "height": 9, "width": 8})})),
    Case("onnx-std-zero", "refuse", _onnx("stdzero", {"std": "[0]"})),
    Case("onnx-std-nan", "refuse", _onnx("stdnan", {"std": "[NaN]"})),
    Case("onnx-mean-wrong-length", "refuse", _onnx("meanlen", {"mean": "[0.1, 0.2]"})),
    Case("onnx-two-names-three-outputs", "refuse", _onnx("names", {"class_names": '["a", "b"]'})),
    Case("onnx-names-not-text", "refuse", _onnx("namesnum", {"class_names": "[1, 2, 3]"})),
    Case("onnx-deep-json", "refuse", _onnx("deepjson", {"class_names": "[" * 100_000 + "]" * 100_000})),
    Case("onnx-no-metadata", "refuse", _onnx("nometa", drop=("class_names", "input", "mean", "std"))),
    Case("onnx-escape-names", "accept", _onnx("esc", {"class_names": json.dumps([f"a{ESC}", "b\x1b[1A", "c\x07"])})),
    Case("onnx-truncated", "refuse", _onnx_bytes("truncated", lambda b: b[: len(b) // 3])),
    Case("onnx-garbage", "refuse", _onnx_bytes("garbage", lambda b: bytes(range(256)) * 50)),
    Case("onnx-fifo", "refuse", lambda ctx: ["predict", _fifo(ctx, "onnx/fifo.onnx"), str(ctx.image)], quick=5.0),
]


def _run_copy(ctx: Context, name: str) -> Path:
    path = ctx.root / "runs-hostile" / name
    shutil.copytree(ctx.run, path)
    return path


def _run(name: str, change: Callable[[Path], None], verb: str = "runs --show") -> Callable[[Context], list[str]]:
    def make(ctx):
        path = _run_copy(ctx, name)
        change(path)
        if verb == "predict":
            return ["predict", str(path), str(ctx.image)]
        if verb == "runs":
            return ["runs", str(path.parent)]
        return [*verb.split(), str(path)]

    return make


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def change(path: Path):
        target = path / name
        target.unlink(missing_ok=True)
        if isinstance(content, str):
            target.write_text(content)
        else:
            target.write_bytes(content)

    return change


def _meta(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(path: Path):
        meta = json.loads((path / "run.json").read_text())
        change(meta)
        (path / "run.json").write_text(json.dumps(meta))

    return apply


def _dead_running(path: Path) -> None:
    """A run whose process died: status running in run.json, no summary, a process id that no longer exists."""
    (path / "summary.json").unlink()
    _meta(lambda m: m.update(status="running", pid=2**22 + 12345, pid_started=None))(path)
    (path / "checkpoints" / ".last.pt.abcd.part").mkdir()


def _fifo_meta(path: Path) -> None:
    (path / "run.json").unlink()
    os.mkfifo(path / "run.json")


RUN_CASES = [
    Case("run-json-garbage", "refuse", _run("garbage", _write("run.json", "{not json"))),
    Case("run-json-deep", "refuse", _run("deep", _write("run.json", "[" * 100_000))),
    Case("run-json-fifo", "refuse", _run("fifo", _fifo_meta), quick=5.0),
    Case("run-json-list", "refuse", _run("list", _write("run.json", "[1, 2]"))),
    Case("run-epochs-wrong-types", "accept",
         _run("types", _write("epochs.jsonl", '{"epoch": "x", "val_loss": "abc"}\n[1]\n{"epoch": 1, "val_acc": "y"}\n'))),
    Case("run-confusion-mismatch", "accept",
         _run("confusion", _write("confusion.json", '{"classes": ["a"], "matrix": [[1, 2], [3]]}'))),
    Case("run-summary-wrong-types", "accept", _run("summary", _write("summary.json", '{"status": "completed", "best": 3, "final": "x"}'), "runs")),
    Case("run-spec-bomb-predict", "refuse", _run("bomb", _write("spec.yaml", alias_bomb(9)), "predict"), quick=3.0),
    Case("run-checkpoint-garbage", "refuse", _run("ckpt", _write("checkpoints/best.pt", b"PK\x03\x04garbage"), "predict")),
    Case("run-escape-spec-name", "accept", _run("escape", _meta(lambda m: m.update(spec_name=f"tiny{ESC}")), "runs")),
    Case("run-killed-reads-interrupted", "accept", _run("killed", _dead_running, "runs"), says="interrupted at epoch 1"),
]


def _image_folder(ctx: Context, name: str) -> Path:
    path = ctx.root / "image-folders" / name
    path.mkdir(parents=True)
    return path


def _images_train(name: str, build: Callable[[Context, Path], None]) -> Callable[[Context], list[str]]:
    def make(ctx):
        folder = _image_folder(ctx, name)
        build(ctx, folder)
        spec = ctx.file(f"specs/images-{name}.yaml", TINY)
        return ["train", spec, "--data", str(folder), "--no-doctor", "--out", str(ctx.root / "runs")]

    return make


def _copy_classes(ctx: Context, folder: Path) -> None:
    for cls in ("a", "b", "c"):
        shutil.copytree(ctx.images / cls, folder / cls)


def _loops(ctx: Context, folder: Path) -> None:
    _copy_classes(ctx, folder)
    (folder / "a" / "loop").symlink_to(".")
    (folder / "b" / "self.png").symlink_to("self.png")
    os.mkfifo(folder / "c" / "pipe.png")


def _bombs(ctx: Context, folder: Path) -> None:
    _copy_classes(ctx, folder)
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0))
    (folder / "a" / "bomb.png").write_bytes(b"\x89PNG\r\n\x1a\n" + header + chunk(b"IEND", b""))
    (folder / "b" / "cut.png").write_bytes((ctx.images / "b").glob("*.png").__next__().read_bytes()[:40])
    (folder / "c" / "text.png").write_text("not an image")


IMAGE_CASES = [
    Case("images-empty-folder", "refuse", _images_train("empty", lambda ctx, f: None)),
    Case("images-loose-files", "refuse", _images_train("loose", lambda ctx, f: shutil.copy(ctx.image, f / "x.png"))),
    Case("images-broken-only", "refuse",
         _images_train("broken", lambda ctx, f: [(f / c).mkdir() or (f / c / "x.png").write_text("no") for c in "abc"])),
    Case("images-missing-folder", "refuse", lambda ctx: ["train", ctx.file("specs/images-missing.yaml", TINY),
                                                         "--data", str(ctx.root / "nowhere"), "--no-doctor"]),
    Case("images-links-and-pipes", "accept", _images_train("loops", _loops), says="links to folders are not followed"),
    Case("images-bombs-and-damage", "accept", _images_train("bombs", _bombs)),
]

CASES = SPEC_CASES + TRAIN_CASES + BUNDLE_CASES + ONNX_CASES + RUN_CASES + IMAGE_CASES
