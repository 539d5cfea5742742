"""edit SPEC ACTION: change a spec's layer stack the way the editor does, and write it back.

Actions: add, move, delete, duplicate, rename, set, input, classes, and data / training for the settings
the Training panel edits. The file is rewritten in place
unless -o names another one (a preset or a bundle's spec can only be written to another file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from workbench import edits
from workbench.analysis import analyze
from workbench.cli.common import BUNDLE_SUFFIX, SPEC_HELP, read_spec_or_report
from workbench.spec import KINDS, PALETTE, ModelSpec, save_spec
from workbench.spec import yaml_safe
from workbench.spec.sections import SECTIONS


def add_parser(sub) -> None:
    p = sub.add_parser("edit", help="add, move, delete, rename or set layers of a spec", description=__doc__)
    p.add_argument("spec", help=SPEC_HELP)
    p.add_argument("-o", "--output", help="write the result here instead of back to SPEC")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    labels = ", ".join(label for label, *_ in PALETTE)
    a = actions.add_parser("add", help=f"insert a layer: a type ({', '.join(KINDS)}) or palette entry ({labels})")
    a.add_argument("kind")
    a.add_argument("--at", type=int, default=None, help="position (0 = first); default: the end")
    a.add_argument("--set", dest="values", nargs="+", default=[], metavar="KEY=VALUE", help="parameters of the new layer")
    m = actions.add_parser("move", help="move layer NAME to position INDEX (0 = first)")
    m.add_argument("name")
    m.add_argument("index", type=int)
    for verb, text in (("delete", "remove layer NAME"), ("duplicate", "copy layer NAME right after it")):
        actions.add_parser(verb, help=text).add_argument("name")
    r = actions.add_parser("rename", help="rename layer OLD to NEW")
    r.add_argument("old")
    r.add_argument("new")
    s = actions.add_parser("set", help="set parameters of layer NAME; an empty VALUE restores the default")
    s.add_argument("name")
    s.add_argument("values", nargs="+", metavar="KEY=VALUE")
    i = actions.add_parser("input", help="set the input shape")
    for key in ("channels", "height", "width"):
        i.add_argument(key, type=int)
    c = actions.add_parser("classes", help="a number of classes, or names separated by commas")
    c.add_argument("classes")
    for section in SECTIONS:
        keys = ", ".join(p.name for p in SECTIONS[section])
        sec = actions.add_parser(section, help=f"set {section} settings ({keys}); an empty VALUE restores the default")
        sec.add_argument("values", nargs="+", metavar="KEY=VALUE")
    p.set_defaults(run=run)


def parse_value(kind: str, key: str, text: str):
    """The value typed for parameter ``key`` of a ``kind`` layer, read like the inspector reads it."""
    try:
        param = KINDS[kind].param(key)
    except KeyError:
        raise edits.EditError(f"a {kind} layer has no parameter '{key}'") from None
    if param.kind in ("bool", "init", "choice", "str"):
        return yaml_safe.safe_load(text) if text.strip() else None
    return edits.parse_param_text(param, text)


def parse_setting(section: str, key: str, text: str):
    """The value typed for ``key`` of the data or training section (YAML scalars: 1e-3, true, sgd, 'a b')."""
    if not text.strip():
        return None
    try:
        return yaml_safe.safe_load(text)
    except yaml.YAMLError:
        raise edits.EditError(f"cannot read '{text}' as a value for {section}.{key}") from None


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    out = []
    for item in values:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise edits.EditError(f"expected KEY=VALUE, got '{item}'")
        out.append((key.strip(), text))
    return out


def _add(spec: ModelSpec, args) -> ModelSpec:
    labels = {label.lower(): label for label, *_ in PALETTE}
    if args.kind.lower() in labels:
        kind, params = edits.palette_entry(labels[args.kind.lower()])
    else:
        kind, params = args.kind, {}
    if kind not in KINDS:
        raise edits.EditError(f"unknown layer type '{args.kind}' (types: {', '.join(KINDS)})")
    for key, text in _pairs(args.values):
        params[key] = parse_value(kind, key, text)
    at = len(spec.layers) if args.at is None else args.at
    spec, name = edits.insert_layer(spec, at, kind, {k: v for k, v in params.items() if v is not None})
    print(f"added {name}")
    return spec


def _set(spec: ModelSpec, args) -> ModelSpec:
    try:
        kind = spec.layer(args.name).type
    except KeyError:
        raise edits.EditError(f"no layer named '{args.name}'") from None
    for key, text in _pairs(args.values):
        spec = edits.set_param(spec, args.name, key, parse_value(kind, key, text))
    return spec


def apply_action(spec: ModelSpec, args) -> ModelSpec:
    """The spec after the action in ``args``; raises EditError when it cannot be done."""
    action = args.action
    if action == "add":
        return _add(spec, args)
    if action == "move":
        names = [layer.name for layer in spec.layers]
        if args.name not in names:
            raise edits.EditError(f"no layer named '{args.name}'")
        # INDEX is the final position; move_layer inserts before what is at the index now
        return edits.move_layer(spec, args.name, args.index + (1 if args.index > names.index(args.name) else 0))
    if action == "delete":
        return edits.delete_layer(spec, args.name)
    if action == "duplicate":
        return edits.duplicate_layer(spec, args.name)[0]
    if action == "rename":
        return edits.rename_layer(spec, args.old, args.new)
    if action == "set":
        return _set(spec, args)
    if action in SECTIONS:
        for key, text in _pairs(args.values):
            spec = edits.set_section_value(spec, action, key, parse_setting(action, key, text))
        return spec
    if action == "input":
        return edits.set_input(spec, args.channels, args.height, args.width)
    return edits.set_classes(spec, edits.parse_classes(args.classes))


def run(args) -> int:
    spec = read_spec_or_report(args.spec)
    if spec is None:
        return 1
    in_place = Path(args.spec).exists() and not args.spec.endswith(BUNDLE_SUFFIX)
    target = args.output or (args.spec if in_place else None)
    if target is None:
        what = "a trained-model bundle" if args.spec.endswith(BUNDLE_SUFFIX) else "a preset"
        print(f"'{args.spec}' is {what}: name a spec file to write with -o", file=sys.stderr)
        return 2
    try:
        result = apply_action(spec, args)
    except (edits.EditError, yaml.YAMLError) as exc:
        print(f"cannot {args.action}: {exc}", file=sys.stderr)
        return 1
    try:
        save_spec(result, target)
    except OSError as exc:
        print(f"cannot write {target}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    problems = analyze(result).problems
    for problem in problems:
        print(f"{problem.severity}: " + (f"layer '{problem.layer}': " if problem.layer else "") + problem.message)
    print(f"wrote {target} ({len(result.layers)} layers{', with problems' if problems else ''})")
    return 0
