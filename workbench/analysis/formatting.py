"""Plain-text rendering of an analysis: the summary table the CLI prints."""

from __future__ import annotations

from workbench.analysis.analyze import INNER_ERROR, Analysis, LayerInfo
from workbench.analysis.shape_rules import fmt_shape
from workbench.spec.model import ModelSpec


def human_count(n: int) -> str:
    """1234567 → '1.23M'."""
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)


def human_bytes(n: int) -> str:
    for unit, size in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def rf_text(rf: tuple[int, int] | None, jump: tuple[int, int] | None) -> str:
    if rf is None or jump is None:
        return "—"
    r = str(rf[0]) if rf[0] == rf[1] else f"{rf[0]}×{rf[1]}"
    j = str(jump[0]) if jump[0] == jump[1] else f"{jump[0]}×{jump[1]}"
    return f"{r} /{j}"


def block_text(info: LayerInfo) -> str:
    """A block in a few words: '3 × residual 16→32' or 'parallel (concat) 16→64'."""
    layer = info.layer
    kind = layer.type if layer.type != "parallel" else f"parallel ({layer.get('merge')})"
    repeat = layer.get("repeat")
    text = f"{repeat} × {kind}" if repeat > 1 else kind
    if info.in_shape and info.out_shape:
        text += f" {info.in_shape[0]}→{info.out_shape[0]}"
    return text


SUMMARY_HEADER = ("Layer", "Type", "Output", "Params", "MACs", "RF /jump")


def summary_rows(analysis: Analysis, indent: str = "  ") -> list[tuple[str, str, str, str, str, str]]:
    """The rows of the summary, the input first: each layer of the tree under its path name, led by ``indent``
    once per level of blocks around it, with its type (a block in a few words), output, parameters, MACs and
    receptive field; a projection shortcut follows its copy's layers."""
    rows = [("input", "", fmt_shape(analysis.input_shape), "", "", "1 /1")]
    for info in analysis.rows():
        name = indent * info.depth + info.path
        kind = block_text(info) if info.copies else info.type
        if info.status == "ok":
            rows.append((name, kind, info.shape_text, f"{info.params:,}", f"{info.macs:,}", rf_text(info.rf, info.jump)))
        else:
            label = "ERROR" if info.status == "error" else "unreachable"
            rows.append((name, kind, label, "", "", ""))
    return rows


def summary_table(spec: ModelSpec, analysis: Analysis) -> str:
    """A table of every layer (name, type, output, params, MACs, receptive field) and the totals; the
    layers inside blocks follow their block, indented, under their path names, and a projection shortcut
    follows its copy's layers as a row of its own, so a block's row is the sum of the rows under it."""
    header = SUMMARY_HEADER
    rows = summary_rows(analysis)
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    align = ("<", "<", "<", ">", ">", ">")

    def line(row):
        return "  ".join(f"{str(v):{a}{w}}" for v, a, w in zip(row, align, widths)).rstrip()

    rule = "-" * len(line(header))
    out = [f"Model: {spec.name}  (input {fmt_shape(analysis.input_shape)}, {spec.num_classes} classes)", rule, line(header), rule]
    out += [line(r) for r in rows]
    out += [
        rule,
        f"Total params:      {analysis.total_params:,} ({human_count(analysis.total_params)})",
        f"Total MACs:        {analysis.total_macs:,} ({human_count(analysis.total_macs)}) per image",
        f"Model size:        {human_bytes(analysis.model_bytes)}",
        f"Activation memory: {human_bytes(analysis.activation_bytes)} per image (forward)",
    ]
    for info in analysis.nodes:
        if info.status == "error" and info.error != INNER_ERROR:
            out.append(f"Error in '{info.path}': {info.error}" + (f" (hint: {info.hint})" if info.hint else ""))
    return "\n".join(out)
