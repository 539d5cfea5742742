"""Reading and writing spec files (YAML), with line numbers kept for every message."""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import yaml

from workbench.atomic_write import replace_atomically
from workbench.bounded_read import FileTooLarge, NotARegularFile, read_bounded
from workbench.spec import yaml_safe
from workbench.spec.layer_kinds import KINDS
from workbench.spec.migrations import MigrationError, migrate
from workbench.spec.model import SCHEMA_VERSION, InputShape, Layer, ModelSpec, SourceInfo
from workbench.spec.names import name_problem
from workbench.spec.problems import Problem, SpecError
from workbench.spec.sections import SECTIONS

TOP_KEYS = ("schema_version", "name", "description", "input", "classes", "layers", "data", "training")
MAX_FILE_BYTES = 5_000_000
MAX_DEPTH = 16  # blocks inside blocks


def _stack_words(path: tuple) -> str:
    """How a message names the stack at ``path``: 'layers', 'the body of layer #2', 'branch 1 of …'."""
    if len(path) == 1:
        return "layers"
    if path[-1] == "body":
        return f"the body of layer #{path[-2] + 1}"
    return f"branch {path[-1] + 1} of layer #{path[-3] + 1}"


def did_you_mean(word: str, options: Any) -> str:
    """A 'did you mean …?' hint for ``word`` among ``options``, or a list of the options."""
    options = [str(o) for o in options]
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "expected one of: " + ", ".join(options)


def _line_map(node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                _line_map(value_node, path + (key_node.value,), lines)
                lines[path + (key_node.value,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, path + (i,), lines)


def _parse_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int]]:
    try:
        data, node = yaml_safe.load_with_nodes(text)
    except yaml_safe.RefusedYAML as exc:
        raise SpecError([Problem(exc.problem, exc.hint, file=file, line=exc.problem_mark.line + 1)]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (control characters)
        line = text.count("\n", 0, exc.position) + 1
        raise SpecError([Problem(f"character 0x{exc.character:02x} is not allowed in a spec file",
                                 "remove it; in a double-quoted text write it as an escape such as \\e",
                                 file=file, line=line)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(
            [Problem(f"not valid YAML: {problem}", "check indentation, colons and brackets", file=file, line=line)]
        ) from None
    lines: dict[tuple, int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return data, lines


class _Reader:
    """Turns a parsed YAML document into a :class:`ModelSpec`, collecting every problem."""

    def __init__(self, source: SourceInfo):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, message: str, hint: str, path: tuple, layer: str | None = None) -> None:
        self.problems.append(
            Problem(message, hint, layer=layer, file=self.source.file, line=self.source.line_of(*path))
        )

    def read(self, data: Any) -> ModelSpec:
        if not isinstance(data, dict):
            self.add("the file must be a mapping of keys such as name, input, classes, layers", "see presets/ for examples", ())
            raise SpecError(self.problems)
        try:
            data = migrate(data)
        except MigrationError as exc:
            self.add(str(exc), f"set schema_version: {SCHEMA_VERSION}", ("schema_version",))
            raise SpecError(self.problems) from None
        for key in data:
            if key not in TOP_KEYS:
                self.add(f"unknown key '{key}'", did_you_mean(key, TOP_KEYS), (key,))
        spec = ModelSpec(
            name=self._text(data, "name", "untitled"),
            description=self._text(data, "description", ""),
            input=self._input(data.get("input")),
            classes=self._classes(data.get("classes", 3)),
            layers=self._layers(data.get("layers", []), ("layers",), set(), 0),
            data=self._section(data, "data"),
            training=self._section(data, "training"),
            source=self.source,
        )
        if self.problems:
            raise SpecError(self.problems)
        return spec

    def _text(self, data: dict, key: str, default: str) -> str:
        value = data.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str):
            self.add(f"{key} must be a text, got {value!r}", f"write {key}: \"...\"", (key,))
            return default
        return value

    def _input(self, value: Any) -> InputShape:
        if value is None:
            return InputShape()
        if not isinstance(value, dict):
            self.add("input must be a mapping", "write input: {channels: 3, height: 60, width: 60}", ("input",))
            return InputShape()
        shape = {}
        for key in ("channels", "height", "width"):
            v = value.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                self.add(f"input.{key} must be a positive integer, got {v!r}", "e.g. input: {channels: 3, height: 60, width: 60}", ("input", key))
                v = 1
            shape[key] = v
        for key in value:
            if key not in shape:
                self.add(f"unknown key input.{key}", did_you_mean(key, ("channels", "height", "width")), ("input", key))
        return InputShape(**shape)

    def _classes(self, value: Any) -> int | list[str]:
        path = ("classes",)
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 2:
                self.add(f"classes must be at least 2, got {value}", "a classifier needs two or more classes", path)
                return 2
            return value
        if isinstance(value, list):
            names = [v for v in value if isinstance(v, str) and v.strip()]
            if len(names) != len(value):
                self.add("every class name must be a non-empty text", "e.g. classes: [cat, dog]", path)
            elif len(set(names)) != len(names):
                self.add("class names must be unique", "remove the repeated name", path)
            elif len(names) < 2:
                self.add("at least two classes are needed", "e.g. classes: [cat, dog]", path)
            else:
                return list(names)
            return 2
        self.add(f"classes must be a count or a list of names, got {value!r}", "e.g. classes: 3 or classes: [a, b, c]", path)
        return 2

    def _layers(self, value: Any, path: tuple, seen: set[str], depth: int) -> list[Layer]:
        """One stack (the top one or a block's body or branch); ``seen`` holds the tree's names so far."""
        if not isinstance(value, list):
            self.add(f"{_stack_words(path)} must be a list", "write each layer as '- {name: conv1, type: conv, ...}'", path)
            return []
        layers: list[Layer] = []
        for i, item in enumerate(value):
            layer = self._layer(path + (i,), item, seen, depth)
            if layer is not None:
                layers.append(layer)
        return layers

    def _stacks(self, kind_name: str, item: dict, path: tuple, label: str, seen: set[str], depth: int) -> list[list[Layer]]:
        """A block's child stacks: ``body`` (one list) or ``branches`` (a list of lists)."""
        key = KINDS[kind_name].stacks_key
        if depth >= MAX_DEPTH:
            self.add(f"blocks are nested more than {MAX_DEPTH} deep", "flatten the inner blocks", path, label)
            return []
        value = item.get(key)
        if key == "body":
            if value is None:
                self.add("a residual block needs a body", "add body: [ ...layers... ]", path, label)
                return [[]]
            return [self._layers(value, path + ("body",), seen, depth + 1)]
        if not isinstance(value, list) or not value:
            self.add("a parallel block needs branches", "add branches: [[ ...layers... ], [ ...layers... ]]", path, label)
            return []
        return [self._layers(branch, path + ("branches", b), seen, depth + 1) for b, branch in enumerate(value)]

    def _layer(self, path: tuple, item: Any, seen: set[str], depth: int) -> Layer | None:
        i = path[-1]
        if not isinstance(item, dict):
            self.add(f"layer #{i + 1} must be a mapping", "write '- {name: conv1, type: conv, filters: 16}'", path)
            return None
        name = item.get("name")
        label = name if isinstance(name, str) else f"#{i + 1}"
        if name is None:
            self.add(f"layer #{i + 1} has no name", "add name: with a unique identifier", path, label)
        elif name_problem(name):
            self.add(name_problem(name), "e.g. name: conv1", path + ("name",), label)
        elif name in seen:
            self.add(f"duplicate layer name '{name}'", "every layer needs its own name", path + ("name",), label)
        else:
            seen.add(name)
        kind_name = item.get("type")
        if not isinstance(kind_name, str) or kind_name not in KINDS:
            if kind_name is None:
                self.add("layer has no type", "add type: " + "|".join(KINDS), path, label)
            else:
                hint = did_you_mean(kind_name, KINDS) if isinstance(kind_name, str) else "expected one of: " + ", ".join(KINDS)
                self.add(f"unknown layer type {kind_name!r}", hint, path + ("type",), label)
            return None
        kind = KINDS[kind_name]
        params = {}
        for key, v in item.items():
            if key in ("name", "type") or (key == kind.stacks_key and kind.is_block):
                continue
            if key not in kind.param_names:
                hint = did_you_mean(key, kind.param_names) if kind.param_names else f"a {kind_name} layer takes no parameters"
                self.add(f"unknown key '{key}' for a {kind_name} layer", hint, path + (key,), label)
                continue
            params[key] = v
        for p in kind.params:
            if p.required and p.name not in params:
                self.add(f"{kind_name} layer needs '{p.name}'", f"add {p.name}: ({p.range_text()})", path, label)
        stacks = self._stacks(kind_name, item, path, label, seen, depth) if kind.is_block else []
        return Layer(str(name) if isinstance(name, str) else f"layer{i + 1}", kind_name, params, stacks)

    def _section(self, data: dict, section: str) -> dict[str, Any]:
        value = data.get(section, {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(f"{section} must be a mapping", f"e.g. {section}: {{...}}", (section,))
            return {}
        names = [p.name for p in SECTIONS[section]]
        for key in value:
            if key not in names:
                self.add(f"unknown key '{section}.{key}'", did_you_mean(key, names), (section, key))
        return {k: v for k, v in value.items() if k in names}


def loads_spec(text: str, file: str = "<spec>") -> ModelSpec:
    """Read a spec from YAML text; raise :class:`SpecError` listing every problem."""
    data, lines = _parse_yaml(text, file)
    return _Reader(SourceInfo(file, lines)).read(data)


def _decode(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError([Problem(f"byte 0x{data[exc.start]:02x} at column {column} is not UTF-8 text",
                                 "spec files are UTF-8: save it again as UTF-8",
                                 file=file, line=line)]) from None


def load_spec(path: str | os.PathLike) -> ModelSpec:
    """Read a spec file; raise :class:`SpecError` (never a traceback) when it cannot be read."""
    path = Path(path)
    try:
        data = read_bounded(path, MAX_FILE_BYTES)
    except NotARegularFile:
        raise SpecError([Problem("not a regular file (a device, pipe or socket)", "give a .yaml spec file", file=str(path))]) from None
    except FileTooLarge:
        raise SpecError([Problem("file is too large to be a spec", "spec files are a few kilobytes", file=str(path))]) from None
    except FileNotFoundError:
        raise SpecError([Problem("file not found", "check the path", file=str(path))]) from None
    except IsADirectoryError:
        raise SpecError([Problem("is a folder, not a spec file", "give a .yaml file", file=str(path))]) from None
    except OSError as exc:
        raise SpecError([Problem(f"cannot read the file: {exc.strerror}", "check permissions", file=str(path))]) from None
    return loads_spec(_decode(data, str(path)), str(path))


def _dump(value: Any, flow: bool) -> str:
    """YAML for ``value``; falls back to double-quoted strings when plain style would not read back."""
    kwargs = dict(default_flow_style=flow, width=10_000 if flow else 100, sort_keys=False, allow_unicode=True)
    text = yaml.safe_dump(value, **kwargs)
    if yaml_safe.safe_load(text) != value:
        text = yaml.safe_dump(value, default_style='"', **kwargs)
    text = text.rstrip("\n")
    return text[: -len("\n...")] if text.endswith("\n...") else text


def _layer_lines(layer: dict, indent: str) -> list[str]:
    """One layer as YAML list items: a flow mapping on one line, or for a block its settings on one
    line and each child stack below it, indented."""
    key = "body" if "body" in layer else "branches" if "branches" in layer else None
    if key is None:
        return [f"{indent}- {_dump(layer, flow=True)}"]
    head = {k: v for k, v in layer.items() if k != key}
    head_lines = _dump(head, flow=False).split("\n")
    lines = [f"{indent}- {head_lines[0]}"] + [f"{indent}  {line}" for line in head_lines[1:]]
    inner = indent + "    "
    if key == "body":
        stacks = [layer["body"]]
        lines.append(f"{indent}  body:" + ("" if layer["body"] else " []"))
    else:
        stacks = layer["branches"]
        lines.append(f"{indent}  branches:" + ("" if stacks else " []"))
    for stack in stacks:
        if key == "branches":
            if not stack:
                lines.append(f"{inner}- []")
                continue
            lines.append(f"{inner}-")
            for child in stack:
                lines.extend(_layer_lines(child, inner + "  "))
        else:
            for child in stack:
                lines.extend(_layer_lines(child, inner))
    return lines


def dumps_spec(spec: ModelSpec) -> str:
    """The spec as YAML text: top-level keys in block style, one flow mapping per layer; a block's
    settings on its first line and its body or branches indented below."""
    d = spec.to_dict()
    out = [f"schema_version: {d['schema_version']}"]
    out.append(_dump({"name": d["name"]}, flow=False))
    out.append(_dump({"description": d["description"]}, flow=False))
    out.append(f"input: {_dump(d['input'], flow=True)}")
    out.append(f"classes: {_dump(d['classes'], flow=True)}")
    if d["layers"]:
        out.append("layers:")
        for layer in d["layers"]:
            out.extend(_layer_lines(layer, "  "))
    else:
        out.append("layers: []")
    for section in ("data", "training"):
        out.append(f"{section}: {_dump(d[section], flow=True)}")
    return "\n".join(out) + "\n"


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: no half-written files."""
    replace_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def save_spec(spec: ModelSpec, path: str | os.PathLike) -> None:
    """Save the spec to ``path`` atomically."""
    write_text_atomic(path, dumps_spec(spec))
