"""The layering of DESIGN §2, checked on the source: who may import whom among our packages, and
which third-party frameworks each may speak. docs/LAYERS.md states the same rules for people."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("config", "stories", "storage", "net", "crawler", "alerts", "ingest", "web", "raqib")

# package -> the packages of ours it may import (itself always)
MAY_IMPORT: dict[str, set[str]] = {
    "stories": set(),
    "config": {"stories"},
    "storage": {"stories", "config"},
    "net": {"config"},
    "crawler": {"config", "net"},
    "alerts": {"storage", "stories", "config", "net"},
    "ingest": {"crawler", "stories", "storage", "alerts", "config", "net"},
    "web": {"storage", "stories", "config"},
    "raqib": set(OURS),
}
# Imports that break the rules today and are being moved by work in progress on other branches.
# Each must still occur (test_pending_exceptions_are_still_needed): once the move lands, its line
# here has to go, so an exception never outlives its reason.
PENDING: dict[tuple[str, str], str] = {
    ("web", "alerts"): "what-is-new wording moves from alerts/render.py to stories/wording.py (issue 9, quality)",
}
# third-party frameworks that belong to one package each
ONLY_IN = {"scrapy": {"crawler"}, "twisted": {"crawler"}, "alembic": {"storage", "raqib"}, "fastapi": {"web", "raqib"}}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []


def _violations(pending: dict[tuple[str, str], str] | None = None) -> list[str]:
    """Forbidden imports; those of ``pending`` pairs are left out and the pairs seen are removed
    from the dict (what remains in it was not needed)."""
    problems = []
    for package in OURS:
        for path in _sources(package):
            for line, module in _imports(path):
                top = module.split(".")[0]
                where = f"{path.relative_to(ROOT)}:{line} imports {module}"
                if top in OURS and top != package and top not in MAY_IMPORT[package]:
                    if pending is not None and (package, top) in PENDING:
                        pending.pop((package, top), None)
                        continue
                    problems.append(where)
                if top in ONLY_IN and package not in ONLY_IN[top]:
                    problems.append(f"{where} (only {', '.join(sorted(ONLY_IN[top]))} may)")
    return problems


def test_every_package_imports_only_what_design_allows() -> None:
    assert _violations(dict(PENDING)) == []


def test_pending_exceptions_are_still_needed() -> None:
    unused = dict(PENDING)
    _violations(unused)
    assert unused == {}, "these imports are gone: remove their PENDING entries"


def test_the_checker_sees_a_forbidden_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule is not vacuous: storage importing ingest, or web importing the crawler, is caught."""
    (tmp_path / "storage").mkdir()
    (tmp_path / "storage" / "bad.py").write_text("from ingest.desk import StoryDesk\n", encoding="utf-8")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "bad.py").write_text("def f():\n    import crawler.runner\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    assert _violations() == [
        "storage/bad.py:1 imports ingest.desk",
        "web/bad.py:2 imports crawler.runner",
    ]


def test_layers_doc_names_every_package() -> None:
    text = (ROOT / "docs" / "LAYERS.md").read_text(encoding="utf-8")
    assert all(f"`{package}`" in text for package in OURS)
