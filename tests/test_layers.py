"""The layer rules of STYLE.md, checked on the source itself.

models/ and reports/ never import Qt; widgets/ never import desktop/; the
layers desktop → widgets → reports → models never import upwards. (The same
contracts are in pyproject.toml for import-linter, which `make test` runs.)
A second test imports every models/ and reports/ module in a process where
PySide6 cannot be imported, proving they work without Qt.
"""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
LAYERS = ["models", "reports", "widgets", "desktop"]
QT = ("PySide6", "shiboken6", "pyqtgraph")


def imports_of(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_no_upward_or_qt_imports():
    problems = []
    for rank, layer in enumerate(LAYERS):
        for path in (ROOT / layer).rglob("*.py"):
            for mod in imports_of(path):
                top = mod.split(".")[0]
                if top in LAYERS and LAYERS.index(top) > rank:
                    problems.append(f"{path.relative_to(ROOT)} imports {mod}")
                if layer in ("models", "reports") and top in QT:
                    problems.append(f"{path.relative_to(ROOT)} imports Qt ({mod})")
    assert not problems, "\n".join(problems)


def test_models_and_reports_import_without_qt():
    code = (
        "import sys, importlib, pkgutil\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {QT!r}: raise ImportError('Qt blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import models, reports\n"
        "n = 0\n"
        "for pkg in (models, reports):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.migrations' in m.name: continue\n"
        "        importlib.import_module(m.name); n += 1\n"
        "print(n)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) > 10
