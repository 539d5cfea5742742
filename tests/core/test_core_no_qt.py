"""No core module imports Qt: every module outside workbench/gui imports with PySide6 and pyqtgraph blocked."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def core_modules():
    for path in sorted((ROOT / "workbench").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        if "gui" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        if rel.name == "__main__":
            continue
        yield ".".join(parts)


BLOCKER = """
import importlib, sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'shiboken6'):
            raise ImportError('Qt is not allowed in the core: ' + name)
sys.meta_path.insert(0, Block())
for mod in sys.argv[1:]:
    importlib.import_module(mod)
print('imported', len(sys.argv) - 1)
"""


def test_core_imports_without_qt():
    modules = list(core_modules())
    assert "workbench.spec.model" in modules and "workbench.builder" in modules
    result = subprocess.run([sys.executable, "-c", BLOCKER, *modules], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert f"imported {len(modules)}" in result.stdout


def test_no_qt_import_statements_in_core_sources():
    offenders = []
    for path in (ROOT / "workbench").rglob("*.py"):
        if "gui" in path.relative_to(ROOT).parts:
            continue
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import PySide6", "from PySide6", "import pyqtgraph", "from pyqtgraph")):
                offenders.append(f"{path}: {stripped}")
    assert offenders == []
