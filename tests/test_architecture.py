"""The engine knows nothing of the UI: importing all of it loads no textual."""

import pkgutil
import subprocess
import sys

import rnntui.engine


def test_engine_imports_no_textual():
    modules = [m.name for m in pkgutil.walk_packages(rnntui.engine.__path__, "rnntui.engine.")]
    assert len(modules) > 10
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "leaks = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'textual_plotext', 'plotext'))\n"
        "print(','.join(leaks))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
