"""loaders.yaml_registry: the registry files parse alike with libyaml and PyYAML's own parser, aliases refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from loaders import LoadError
from loaders.yaml_registry import REGISTRY_DIR, _FastLoader, _LineLoader, parse


def _with_lines(value: Any) -> Any:
    """*value* with the line of every mapping and of each of its keys, as a comparable structure."""
    if isinstance(value, dict):
        return value.line, value.key_lines, {key: _with_lines(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_lines(item) for item in value]
    return value


@pytest.mark.skipif(_FastLoader is None, reason="PyYAML without libyaml parses with its own parser only")
@pytest.mark.parametrize("path", sorted(REGISTRY_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_each_registry_file_gives_the_same_values_and_lines_as_pyyamls_own_parser(path: Path) -> None:
    expected = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
    assert _with_lines(parse(path)) == _with_lines(expected)


def test_an_alias_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text("documents:\n  - &doc {id: a}\n  - *doc\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"line 3, column 5: YAML syntax error: aliases \(\*name\) are not accepted"):
        parse(path)


def test_an_anchor_no_alias_refers_to_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "anchor.yaml"
    path.write_text("documents:\n  - &doc {id: a}\n", encoding="utf-8")
    assert parse(path) == {"documents": [{"id": "a"}]}
