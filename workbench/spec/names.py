"""Rules for layer names: identifiers that can also name a PyTorch submodule."""

from __future__ import annotations

import re

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Attributes every torch.nn.Module already has; a layer cannot take these names.
RESERVED_NAMES = frozenset(
    """T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda double
    dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter get_submodule half ipu
    load_state_dict modules mtia named_buffers named_children named_modules named_parameters parameters
    register_backward_hook register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook register_load_state_dict_post_hook
    register_load_state_dict_pre_hook register_module register_parameter register_state_dict_post_hook
    register_state_dict_pre_hook requires_grad_ set_extra_state set_submodule share_memory state_dict to
    to_empty train training type xpu zero_grad layer_names""".split()
)


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a layer, or None when it can."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        return f"layer name {name!r} is not an identifier: use letters, digits and _, starting with a letter"
    if name in RESERVED_NAMES:
        return f"layer name '{name}' is reserved: choose another, e.g. '{name}1'"
    return None
