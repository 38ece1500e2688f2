"""Load the YAML registry (one file per owner family, see ``loaders/registry/README.md``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from graph.model.vocabulary import vocabulary
from graph.store.namespaces import Minter
from loaders.records import RECORD_MAX_BYTES, Context, LoadError, Problem, RecordConverter, check_file

__all__ = ["REGISTRY_DIR", "declared_ids", "load", "read"]

REGISTRY_DIR = Path(__file__).resolve().parent / "registry"
SECTIONS = ("family", "organisations", "events", "documents", "recommendations")
SKIP: dict[str, str] = {}


class _LineDict(dict[str, Any]):
    """A mapping that remembers the line of itself and of each key."""

    line = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    """PyYAML's safe loader, keeping line numbers so errors can point at them, without aliases."""

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        # A registry never needs anchors and aliases; refusing them stops "billion laughs"
        # alias bombs, whose few lines expand to billions of values once anything reads them.
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted in a registry file", mark)
        return super().compose_node(parent, index)  # type: ignore[no-any-return]


def _construct_map(loader: _LineLoader, node: yaml.MappingNode) -> Iterator[_LineDict]:
    data = _LineDict()
    data.line = node.start_mark.line + 1
    data.key_lines = {str(key.value): key.start_mark.line + 1 for key, _ in node.value}
    yield data
    data.update(loader.construct_mapping(node))


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)  # type: ignore[arg-type]
# Dates stay text, so a bad one is reported with its line and field like every other value.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# PyYAML's libyaml binding parses the same text into the same nodes (marks included) many times
# faster than the pure-Python parser, which is most of the time every registry load takes.  It
# cannot refuse an alias while composing, so a file it parses is checked for one afterwards.
_FastLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's parser with the registry loader's constructors and resolvers."""

    _FastLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)  # type: ignore[arg-type]
    _FastLoader.yaml_implicit_resolvers = _LineLoader.yaml_implicit_resolvers


def _has_alias(root: yaml.Node) -> bool:
    """Whether a node is reached twice: an alias (*name) composes to the node its anchor named."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(part for pair in node.value for part in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False


def _parse_fast(text: str) -> tuple[bool, Any]:
    """Parse *text* with libyaml: (True, data), or (False, None) when the pure-Python loader must answer.

    Anything unusual (no libyaml, a syntax error, an alias, nesting too deep) goes to the pure-Python
    loader, so refusals and their messages are the same whichever parser ran.
    """
    if _FastLoader is None:
        return False, None
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return True, None
        if _has_alias(node):
            return False, None
        return True, loader.construct_document(node)
    except (yaml.YAMLError, RecursionError, ValueError, TypeError):
        return False, None
    finally:
        loader.dispose()


def parse(path: Path) -> Any:
    """Parse the YAML file *path* with the registry's loader: line numbers kept, aliases refused.

    Raises:
        LoadError: if the file is missing or too large, or with the line of a syntax error.
    """
    check_file(path, RECORD_MAX_BYTES)
    try:
        text = path.read_text(encoding="utf-8")
        parsed, data = _parse_fast(text)
        if not parsed:
            data = yaml.load(text, Loader=_LineLoader)
    except UnicodeDecodeError as error:
        raise LoadError(str(path), [Problem(f"byte {error.start}", None, "not UTF-8 text")]) from error
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise LoadError(str(path), [Problem(where, None, f"YAML syntax error: {error.problem}")]) from error
    except RecursionError as error:
        raise LoadError(str(path), [Problem("file", None, "YAML nested too deeply")]) from error
    except (yaml.YAMLError, ValueError, TypeError) as error:
        raise LoadError(str(path), [Problem("file", None, f"YAML error: {error}")]) from error
    return data


def read(path: Path) -> dict[str, Any]:
    """Parse *path* as a registry file, refusing anything but a mapping of known sections.

    Raises:
        LoadError: with the line of the syntax error or of the unknown section.
    """
    data = parse(path)
    if data is None:
        data = _LineDict()
    if not isinstance(data, dict):
        raise LoadError(
            str(path),
            [
                Problem(
                    "line 1",
                    None,
                    "a registry file is a mapping with sections " + ", ".join(SECTIONS),
                )
            ],
        )
    problems = [
        Problem(
            f"line {data.key_lines.get(key, 1)}",
            key,
            f"unknown section (allowed: {', '.join(SECTIONS)})",
        )
        for key in data
        if key not in SECTIONS
    ]
    for section in SECTIONS[1:]:
        items = data.get(section) or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            problems.append(Problem(f"line {data.key_lines.get(section, 1)}", section, "expected a list of mappings"))
    if problems:
        raise LoadError(str(path), problems)
    return data


def declared_ids(data: dict[str, Any]) -> Context:
    """Return the organisation and document ids a parsed registry file defines."""
    return Context(
        organisations={str(item.get("id")) for item in data.get("organisations") or []},
        documents={str(item.get("id")) for item in data.get("documents") or []},
    )


def _locator(item: _LineDict):  # type: ignore[no-untyped-def]
    def at(field: str | None) -> str:
        line = item.key_lines.get(field, item.line) if field else item.line
        return f"line {line}"

    return at


def load(path: Path, minter: Minter, context: Context, data: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """Return the triples of one registry file, without network access.

    Args:
        path: the YAML file.
        minter: mints the IRIs.
        context: ids the file may refer to besides its own.
        data: the file already parsed by :func:`read`, to avoid reading it twice.

    Raises:
        LoadError: naming the line and field of every problem; nothing is returned then.
    """
    data = read(path) if data is None else data
    own = declared_ids(data)
    context = Context(context.organisations | own.organisations, context.documents | own.documents)
    converter = RecordConverter(vocabulary(), minter, context)
    seen: dict[str, int] = {}
    for section, convert in (
        ("organisations", converter.organisation),
        ("events", converter.event),
        ("documents", converter.document),
        ("recommendations", converter.recommendation),
    ):
        for item in data.get(section) or []:
            item_id = str(item.get("id"))
            if item_id in SKIP:
                continue
            key = f"{section}:{item_id}"
            if key in seen:
                converter.problems.append(
                    Problem(
                        f"line {item.line}",
                        "id",
                        f"duplicate id {item_id!r} (first on line {seen[key]})",
                    )
                )
            seen[key] = item.line
            convert(item, _locator(item))
    if converter.problems:
        raise LoadError(str(path), converter.problems)
    return converter.graph
