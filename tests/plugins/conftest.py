from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str, str], None]]:
    """Install a fixture plugin the way pip would: module plus .dist-info with entry points."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    installed: list[str] = []

    def install(dist: str, entry_name: str, module: str) -> None:
        source = next(FIXTURES.rglob(f"{module}.py"))
        shutil.copy(source, site / source.name)
        info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[keyaccount]\n{entry_name} = {module}\n", encoding="utf-8"
        )
        installed.append(module)

    yield install
    for module in installed:
        sys.modules.pop(module, None)
