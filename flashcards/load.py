"""Stage 1, load: read a YAML file safely and remember where every value came from.

Only YAML's plain data (mappings, lists, strings, numbers, booleans, null) is accepted:
no language-specific tags, no aliases, bounded size and nesting.
"""

from __future__ import annotations

import itertools
import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
import yaml_rs

from flashcards.diagnostics import Diagnostic, Position, SourceError, shown_path

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 32
_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_NO_ALIASES = yaml_rs.AliasLimits(max_alias_expansions_per_anchor=0, max_replay_stack_depth=0,
                                  max_total_replayed_events=0)
_CONTAINERS = (dict, list)
_PLAIN_COLLECTION_TAGS = {"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"}
# Several documents: yaml-rs returns them as a list; one file holds one document.
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|$)", re.M)
# YAML forbids these (C0 and C1 controls but tab, newline, CR and NEL; DEL).
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_ASCII_CONTROLS = bytes([*range(0x00, 0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f])
_C1_CONTROLS = re.compile(b"\xc2[\x80-\x84\x86-\x9f]")  # U+0080-U+009F but NEL, in UTF-8

Path_ = tuple[str | int, ...]


# PyYAML is loaded only when a positional parse needs it (`lazy_modules`).
@cache
def _loader() -> type[yaml.SafeLoader]:
    """libyaml's parser (~6x faster) when PyYAML was built with it; the pure-Python one
    behaves the same."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _constructor() -> yaml.SafeLoader:
    return yaml.SafeLoader("")


@dataclass
class Document:
    """A parsed YAML file: its data, and the position of every key and value in it.

    Positions come from a second, positional parse that runs only when a position is asked
    for (to report an error): the fast parse alone serves a valid file."""

    path: Path
    data: Any
    text: str | None = None
    _values: dict[Path_, Position] | None = field(default=None, repr=False)
    _keys: dict[Path_, Position] | None = field(default=None, repr=False)
    _item_lines: dict[str, list[int] | None] | None = field(default=None, repr=False)
    # The text as UTF-8, kept instead of `text` by `ListItems` (a big list file): decoded only
    # when a position is asked for, to report an error.
    raw: bytes | None = field(default=None, repr=False)

    def source_text(self) -> str:
        if self.text is None and self.raw is not None:
            self.text = self.raw.decode("utf-8")
        return self.text or ""

    @property
    def value_positions(self) -> dict[Path_, Position]:
        if self._values is None:
            self._locate()
        assert self._values is not None
        return self._values

    @property
    def key_positions(self) -> dict[Path_, Position]:
        if self._keys is None:
            self._locate()
        assert self._keys is not None
        return self._keys

    def _locate(self) -> None:
        self._values, self._keys = {}, {}
        try:
            node = yaml.compose(self.source_text(), Loader=_loader())
        except yaml.YAMLError:
            return
        if node is not None:
            _Walker(self, []).build(node, (), 0)

    def item_lines(self, key: str) -> list[int] | None:
        """The line of each item of the top-level list `key`, found by scanning the text
        (block style, the common case) without a positional parse; None when the scan does
        not account for every item (flow style, odd layouts)."""
        if self._item_lines is None:
            self._item_lines = {}
        if key not in self._item_lines:
            self._item_lines[key] = _scan_items(self.source_text(), key, self.data)
        return self._item_lines[key]

    def position(self, loc: Path_, *, key: bool = False) -> Position | None:
        """The position of `loc`, or of its closest ancestor that has one."""
        table = self.key_positions if key else self.value_positions
        for end in range(len(loc), -1, -1):
            found = table.get(loc[:end]) or self.value_positions.get(loc[:end])
            if found:
                return found
        return None


def _scan_items(text: str, key: str, data: Any) -> list[int] | None:
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None
    header = re.search(rf"^{re.escape(key)}:[ \t]*(?:#.*)?$", text, re.M)
    if header is None:
        return None
    line = text.count("\n", 0, header.end()) + 1
    indent: str | None = None
    lines: list[int] = []
    for row in text[header.end() + 1:].split("\n"):
        line += 1
        if row[:1] not in ("", " ", "-", "#"):
            break  # the next top-level key
        stripped = row.lstrip(" ")
        if not stripped.startswith("- ") and stripped != "-":
            continue
        current = row[: len(row) - len(stripped)]
        if indent is None:
            indent = current
        if current == indent:
            lines.append(line)
    return lines if len(lines) == len(items) else None


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org") else tag


def _mark(mark: yaml.Mark) -> Position:
    return Position(mark.line + 1, mark.column + 1)


def check_inside(path: Path, folder: Path) -> None:
    """Refuse a source that is a link leading out of `folder` (a deck shared with a link
    to ~/.ssh/id_rsa would pack the key): raise a SourceError saying so."""
    if not path.is_symlink():
        return
    target = path.resolve()
    if not target.is_relative_to(folder.resolve()):
        raise SourceError([Diagnostic(
            path, f"is a link to {target}, outside {folder}",
            "copy the file into the project instead of linking to it", code="outside")])


def _iconv_command(encoding: str, path: Path) -> str:
    """A command that converts `path` in place, to paste from the current folder."""
    shown = shown_path(path)
    quoted = shlex.quote(shown)
    new = shlex.quote(shown + ".new")
    return f"iconv -f {encoding} -t utf-8 {quoted} > {new} && mv {new} {quoted}"


def read_bytes(path: Path) -> bytes:
    """The bytes of a source file, or a SourceError saying why they cannot be read."""
    try:
        if path.is_dir():
            raise SourceError([Diagnostic(path, "is a directory, not a file",
                                          f"remove the directory or rename it; {path.name} "
                                          "must be a YAML file", code="not-a-file")])
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError([Diagnostic(
                path, f"file is too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,})",
                "split the deck into several decks", code="too-large")])
        return path.read_bytes()
    except OSError as exc:
        raise SourceError([Diagnostic(path, f"cannot read the file: {exc.strerror or exc}",
                                      "check that it exists and that you may read it",
                                      code="unreadable")]) from None


def read_text(path: Path) -> str:
    """Read a UTF-8 text file (BOM and CRLF accepted) or raise a SourceError saying why not."""
    raw = read_bytes(path)
    utf16 = _utf16(raw)
    if utf16:
        raise SourceError([Diagnostic(
            path, f"this file is {utf16}, not UTF-8",
            f"convert it: `{_iconv_command(utf16.lower(), path)}`, or 'Save as… UTF-8' in your "
            "editor",
            Position(1), code="encoding")])
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise SourceError([Diagnostic(path, "this is a binary file, not UTF-8 text",
                                      "save the file as plain UTF-8 text",
                                      Position(line), code="encoding")])
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        # Bytes 0x80-0x9f are controls in Latin-1 but letters and quotes in Windows-1252.
        legacy = "windows-1252" if any(0x80 <= b <= 0x9f for b in raw) else "latin1"
        raise SourceError([Diagnostic(
            path, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}): the file seems to be in "
            f"{'Windows-1252' if legacy == 'windows-1252' else 'Latin-1 (ISO-8859-1)'}",
            f"convert the file to UTF-8, e.g. `{_iconv_command(legacy, path)}` or 'Save as… "
            "UTF-8' in your editor", Position(line, column), code="encoding")]) from None
    if b"\r" in raw:
        text = text.replace("\r\n", "\n")
    control = _CONTROL_CHARS.search(text) if _has_control(raw) else None
    if control:
        raise SourceError([Diagnostic(
            path, f"invalid character U+{ord(control.group()):04X} (a control character)",
            "delete it (it often comes from a copy and paste out of a PDF or a word "
            "processor); write `\\t` or `\\n` inside double quotes if you meant one",
            Position.of_offset(text, control.start()), code="encoding")])
    return text


def _has_control(raw: bytes) -> bool:
    """Whether the UTF-8 `raw` may hold a character of _CONTROL_CHARS: the same test on bytes,
    several times faster than the regular expression on the text."""
    return len(raw.translate(None, _ASCII_CONTROLS)) != len(raw) or (
        b"\xc2" in raw and _C1_CONTROLS.search(raw) is not None)


def _utf16(raw: bytes) -> str | None:
    """"UTF-16" or "UTF-32" when `raw` looks like it (a BOM, or ASCII with NUL bytes)."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = raw[:200]
    if len(head) >= 8 and head.count(0) * 3 >= len(head) and (
            head[1::2].count(0) * 4 >= len(head) * 3 // 2 or
            head[0::2].count(0) * 4 >= len(head) * 3 // 2):
        return "UTF-16"
    return None


def load_yaml(path: Path) -> Document:
    """Parse `path` into a Document, or raise a SourceError naming file:line:column.

    yaml-rs (Rust, YAML 1.2: `yes` and dates stay strings) parses; it refuses duplicate keys,
    tags and aliases. When it refuses a file, PyYAML's positional parse explains why."""
    text = read_text(path)
    if "!" in text and _maybe_tag(text):
        return load_yaml_positional(path, text)
    try:
        data = yaml_rs.loads(text, parse_datetime=False, alias_limits=_NO_ALIASES)
    except yaml_rs.YAMLDecodeError as exc:
        raise SourceError([_explain(path, text, str(exc))]) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # e.g. a 5,000-digit number
        raise SourceError([_explain(path, text, f"invalid value: {exc}")]) from None
    if (isinstance(data, list) and _DOCUMENT_MARKER.search(text)) or _suspicious(data):
        return load_yaml_positional(path, text)  # it explains with a position
    return Document(path, data, text)


def _maybe_tag(text: str) -> bool:
    """Whether a `!` may start a YAML tag (after a space, a line start, `[`, `{` or `,`, and
    followed by a non-space). yaml-rs ignores tags (`!!python/object…` becomes plain data,
    `!!set` a Python set): such a file goes through the positional parse, which refuses
    tags with their position."""
    at = text.find("!")
    while at >= 0:
        if (at == 0 or text[at - 1] in " \t\n[{,") and text[at + 1:at + 2] not in ("", " ", "\t",
                                                                               "\n"):
            return True
        at = text.find("!", at + 1)
    return False


def _maybe_tag_utf8(raw: bytes) -> bool:
    """_maybe_tag of the text that `raw` encodes (the characters it tests are ASCII)."""
    at = raw.find(b"!")
    while at >= 0:
        if (at == 0 or raw[at - 1:at] in b" \t\n[{,") and raw[at + 1:at + 2] not in (
                b"", b" ", b"\t", b"\n"):
            return True
        at = raw.find(b"!", at + 1)
    return False


def _suspicious(data: Any) -> bool:
    """Nested too deep, or holding a number too long to be turned into text (level by
    level: a deck's hundred thousand cards are one level)."""
    if type(data) not in _CONTAINERS:
        return type(data) is int and data.bit_length() > 14_000
    level = [data]
    for _ in range(MAX_DEPTH + 1):
        below: list[Any] = []
        for node in level:
            values = node.values() if type(node) is dict else node
            below += [v for v in values if type(v) in _CONTAINERS]
            if any(type(v) is int and v.bit_length() > 14_000 for v in values):
                return True
        if not below:
            return False
        level = below
    return True


_BLANK_LINES = rb"(?:[ \t]*(?:#[^\n]*)?\n)*"  # empty, blank or comment lines
_LONG_ITEM = 3_500  # bytes: an item this short cannot hold an int of 14,000 bits (_suspicious)


@dataclass
class ListItems:
    """A file that is one block list under `key` (`cards:` then `  - …` items, the layout
    the tool writes), cut at its items to be parsed a slice at a time: the parsed data of
    100,000 cards (and yaml-rs's own tree of it) is never held whole.

    Only for a file whose every line, below `key:`, is blank, a comment, or indented at
    least as far as the items' `-` (the items may be at column 1, `key:` then `- …`; another
    key at column 1 leaves its slice unparsable): a line at that indent that starts with `- `
    then starts an item, in the whole file's parse as in a slice's (a plain, block or nested
    value ends
    at such a line; a quoted or flow one open across it leaves its slice unclosed, which
    yaml-rs refuses). `load_yaml` of the file gives the same data when every slice parses
    into as many items as it has `- ` lines (`parse`), except that a value nested deeper
    than MAX_DEPTH is not looked for in short items: the caller validates the items against
    models that hold no nested values, and takes the whole-file way when they fail."""

    path: Path
    key: str
    raw: bytes  # the file's UTF-8, as read_text's text: no BOM, CRLF made LF
    starts: list[int]  # byte offset of each item, then the end of the file
    lines: list[int]  # line of each item

    @classmethod
    def read(cls, path: Path, key: str) -> ListItems | None:
        """The file's items, or None when it is not plain UTF-8 YAML that `load_yaml` parses
        with yaml-rs (read_text's checks, on bytes; a lone CR, a tag: not here) or not laid
        out so.
        Raises the SourceError of a file that cannot be read."""
        raw = read_bytes(path)
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if b"\r" in raw:
            raw = raw.replace(b"\r\n", b"\n")  # as read_text; a lone CR breaks lines too
        if (_utf16(raw) or b"\x00" in raw or b"\r" in raw or _has_control(raw)
                or (b"!" in raw and _maybe_tag_utf8(raw))):
            return None
        head = re.match(_BLANK_LINES + re.escape(key.encode()) + rb":(?:[ \t]+#[^\n]*)?[ \t]*\n"
                        + _BLANK_LINES + rb"( *)-(?=[ \n])", raw)
        if head is None:
            return None
        first, indent = head.start(1), head[1]
        if _outside(indent).search(raw, first):
            return None  # a line less indented than the items, or another key at column 1
        item = re.compile(rb"\n" + indent + rb"-(?=[ \n])")
        starts = [first] + [m.start() + 1 for m in item.finditer(raw, first)]
        lines = list(itertools.accumulate(map(raw.count, itertools.repeat(b"\n"), starts,
                                              starts[1:]), initial=raw.count(b"\n", 0, first) + 1))
        starts.append(len(raw))
        try:
            raw[:first].decode("utf-8")
        except UnicodeDecodeError:
            return None
        return cls(path, key, raw, starts, lines)

    def parse(self, first: int, stop: int) -> list[Any] | None:
        """Items `first` to `stop` (excluded), parsed as `load_yaml` would parse them in the
        whole file; None when this slice does not show that they would be."""
        start, end = self.starts[first], self.starts[stop]
        try:  # from the bytes: ~10 % faster than decoding them for `loads` to encode again
            items = yaml_rs.load(self.raw[start:end], parse_datetime=False,
                                 alias_limits=_NO_ALIASES, encoder_errors="strict")
        except (yaml_rs.YAMLDecodeError, ValueError, OverflowError, RecursionError):
            return None
        if type(items) is not list or len(items) != stop - first:
            return None
        longest = max(b - a for a, b in itertools.pairwise(self.starts[first:stop + 1]))
        if longest >= _LONG_ITEM and _suspicious({self.key: items}):
            return None
        return items

    def document(self) -> Document:
        """The file as a Document (its data not kept: the models hold it)."""
        return Document(self.path, None, raw=self.raw, _item_lines={self.key: self.lines})


@cache
def _outside(indent: bytes) -> re.Pattern[bytes]:
    """A line that is not blank, a comment or indented as far as items at `indent`; at
    column 1, a line that starts neither an item nor with a space (`...`, `---`, a key)."""
    return re.compile(rb"\n(?!" + (indent or rb"[ ]|-[ \n]") + rb"|\n|#|\Z)")


def load_yaml_positional(path: Path, text: str | None = None) -> Document:
    """The slow path: PyYAML's composer with our walker, positions recorded as it goes."""
    text = read_text(path) if text is None else text
    try:
        node = yaml.compose(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        raise SourceError([_syntax_error(path, exc, text)]) from None
    except yaml.YAMLError as exc:
        raise SourceError([Diagnostic(path, f"invalid YAML: {exc}", code="yaml")]) from None
    except RecursionError:
        raise SourceError([Diagnostic(path, f"nesting is deeper than {MAX_DEPTH} levels",
                                      "flatten the structure: decks need only a few levels",
                                      code="too-deep")]) from None
    doc = Document(path, None, text, {}, {})
    if node is None:
        return doc
    errors: list[Diagnostic] = []
    doc.data = _Walker(doc, errors).build(node, (), 0)
    if errors:
        raise SourceError(errors)
    return doc


_RS_POSITION = re.compile(r"line (\d+), column (\d+)")


def _explain(path: Path, text: str, message: str) -> Diagnostic:
    try:
        load_yaml_positional(path, text)
    except SourceError as exc:
        return exc.diagnostics[0]
    first = message.strip().splitlines()[0] if message.strip() else "invalid YAML"
    found = _RS_POSITION.search(message)
    position = Position(int(found[1]), int(found[2])) if found else None
    hint = "check the indentation and quoting near this line"
    if "duplicate" in first:
        hint = "remove one of the two keys"
    elif "alias" in first:
        first, hint = ("YAML aliases (*name) are not allowed",
                       "write the value out again instead of referring to an anchor")
    return Diagnostic(path, f"invalid YAML: {first}", hint, position, code="yaml")


def _line(text: str, number: int) -> str:
    """Line `number` (1-based) of `text`; empty past the end (a mark may point there)."""
    lines = text.split("\n")
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _syntax_error(path: Path, exc: yaml.MarkedYAMLError, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    at_end = exc.problem_mark is not None and exc.problem_mark.index >= len(text.rstrip())
    if at_end and exc.context_mark is not None:
        mark = exc.context_mark  # "unclosed …": where it was opened, not the end of file
    position = _mark(mark) if mark else None
    lines = text.split("\n")
    if position and position.line > len(lines):  # past the end: the end of the last line
        position = Position(len(lines), len(lines[-1]) + 1)
    problem = exc.problem or "invalid YAML"
    if exc.context and exc.context_mark is not None:
        problem += f" ({exc.context} started at line {exc.context_mark.line + 1})"
    hint = "check the indentation and quoting near this line"
    if exc.context == "expected a single document in the stream":
        problem = "a second YAML document (`---`) in the file"
        hint = "one file holds one document: remove the `---` line and what follows, or merge"
    elif "\t" in problem or (position and "\t" in _line(text, position.line)):
        hint = "YAML does not allow tabs for indentation: indent with spaces"
    elif "mapping values are not allowed" in problem:
        hint = 'a value containing ": " must be quoted, e.g. question: "Quel est le but : …"'
    elif "found undefined alias" in problem or "found unhashable key" in problem:
        hint = "quote the value (`*`, `&`, `{` and `[` have a meaning in YAML)"
    elif "could not find expected ':'" in problem or "expected <block end>" in problem:
        hint = "a string may be unclosed or a line mis-indented; quote values that contain : or #"
    return Diagnostic(path, f"invalid YAML: {problem}", hint, position, code="yaml")


class _Walker:
    """Turns a composed YAML node tree into plain Python data, recording positions."""

    def __init__(self, doc: Document, errors: list[Diagnostic]) -> None:
        self.doc = doc
        self.errors = errors
        self.seen: set[int] = set()

    def fail(self, node: yaml.Node, message: str, hint: str, code: str) -> None:
        self.errors.append(Diagnostic(self.doc.path, message, hint, _mark(node.start_mark), code))

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.doc.value_positions[path] = _mark(node.start_mark)
        if id(node) in self.seen:
            self.fail(node, "YAML aliases (*name) are not allowed",
                      "write the value out again instead of referring to an anchor", "alias")
            return None
        if depth > MAX_DEPTH:
            self.fail(node, f"nesting is deeper than {MAX_DEPTH} levels",
                      "flatten the structure: decks need only a few levels", "too-deep")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if node.tag not in _PLAIN_COLLECTION_TAGS:
            self.fail(node, f"YAML tag {_short_tag(node.tag)!r} is not allowed",
                      "remove the tag: only plain mappings, lists and strings are accepted",
                      "tag")
            return None
        self.seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        self.fail(node, "unsupported YAML node", "use plain mappings, lists and strings", "yaml")
        return None

    def scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _PLAIN_TAGS:
            self.fail(node, f"YAML tag {_short_tag(node.tag)!r} is not allowed",
                      "remove the tag: only plain strings, numbers and lists are accepted", "tag")
            return None
        if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return node.value  # dates stay as written
        try:
            value = _constructor().construct_object(node)
            if type(value) is int and value.bit_length() > 14_000:
                str(value)  # a ValueError when too long to be text (0x followed by 3,600 f)
            return value
        except (ValueError, OverflowError, KeyError, yaml.YAMLError):
            self.fail(node, f"invalid value {node.value[:40]!r}",
                      "quote it to make it text, e.g. \"0123…\"", "yaml")
            return None

    def mapping(self, node: yaml.MappingNode, path: Path_, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.fail(key_node, "YAML merge keys (<<) are not allowed",
                          "write the keys out in full", "alias")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "a key must be a plain word", "write `key: value`", "yaml")
                continue
            key = str(key_node.value)
            if key in result:
                first = self.doc.key_positions[(*path, key)]
                self.fail(key_node, f"duplicate key {key!r} (first at line {first.line})",
                          "remove one of the two: YAML keeps only the last", "duplicate-key")
                continue
            self.doc.key_positions[(*path, key)] = _mark(key_node.start_mark)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        return result
