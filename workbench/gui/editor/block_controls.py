"""The inspector's buttons for a block: unwrap it and, for a parallel block, add or remove branches."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

from workbench.gui.editor.controller import EditController
from workbench.spec.model import Layer


class BlockControls(QWidget):
    """Unwrap; Add branch and one Remove button per branch while a parallel block has more than one."""

    def __init__(self, controller: EditController, layer: Layer, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        name = layer.name

        def button(text: str, tip: str, slot) -> None:
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(lambda _checked=False: slot())
            grid.addWidget(b, len(self.buttons) // 2, len(self.buttons) % 2)
            self.buttons[text] = b

        unwrap_tip = "Replace the block by the layers of its body (or its only branch)"
        button("Unwrap", unwrap_tip, lambda: controller.unwrap(name))
        if layer.type == "parallel":
            button("Add branch", "Add an empty branch: it passes the block's input on as it is", lambda: controller.add_branch(name))
            if len(layer.stacks) > 1:
                for slot in range(len(layer.stacks)):
                    tip = f"Remove branch {slot + 1} and the layers in it"
                    button(f"Remove branch {slot + 1}", tip, lambda s=slot: controller.remove_branch(name, s))
