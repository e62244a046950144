"""Load scenario files and report every problem as `FILE:LINE:COL: message`.

Trainers are not programmers: a YAML slip or a misspelt key must point at the exact spot, say
what is wrong in plain words, suggest the key they meant, and list all of a file's problems in
one run. Nothing here lets a traceback escape; every failure becomes a `Problem`.
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
import stat
import types
import typing
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from coach.scenario import ReferenceProblems, Scenario

# libyaml's parser is ~10x faster than pure Python and gives the same marks; the library is
# parsed at every start-up, so it matters.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_FILE_BYTES = 1024 * 1024
MAX_ALIASES = 100
# A scenario has a few hundred values, nested six or seven levels. Past these limits a file is
# refused before it is built: a few nested aliases ("billion laughs") expand a 300-byte file to
# billions of values, and thousands of `[` exhaust the recursion that walks the tree.
MAX_VALUES = 100_000
MAX_DEPTH = 50
# Python refuses to convert integers of more than 4300 digits (a denial-of-service guard) and
# raises ValueError; a scenario number has at most three. 1000 characters stays under that
# limit in every base YAML allows (hex, octal, binary, base 60).
MAX_NUMBER_CHARS = 1000
_INT_TAG = "tag:yaml.org,2002:int"

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file, at a 1-based line and column."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; `problems` says every reason, with positions.

    `scenario_id` is the id the file declares, when it got as far as saying one (so that
    `coach play ID` can point at a broken file instead of saying there is no such id);
    `summary` is a line to print before the problems.
    """

    def __init__(
        self,
        problems: list[Problem],
        *,
        scenario_id: str | None = None,
        summary: str | None = None,
    ) -> None:
        lines = [summary] if summary else []
        super().__init__("\n".join([*lines, *(str(p) for p in problems)]))
        self.problems = problems
        self.scenario_id = scenario_id
        self.summary = summary


@dataclass
class _Marks:
    """Positions of every key and value in the YAML document, by path."""

    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def value_at(self, loc: Loc) -> tuple[int, int]:
        # Fall back to the nearest ancestor that has a position.
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.values:
                return self.values[loc[:end]]
        return (1, 1)

    def key_at(self, loc: Loc) -> tuple[int, int]:
        return self.keys.get(loc) or self.value_at(loc)


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _record_marks(
    node: yaml.Node, loc: Loc, marks: _Marks, problems: list[Problem], path: str
) -> None:
    marks.values[loc] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                line, col = _mark(key_node)
                problems.append(
                    Problem(path, line, col, f"duplicate key {key!r} (first at line {seen[key]})")
                )
            seen[key] = _mark(key_node)[0]
            marks.keys[(*loc, key)] = _mark(key_node)
            _record_marks(value_node, (*loc, key), marks, problems, path)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_marks(item, (*loc, index), marks, problems, path)


def _event_mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark  # the parser always sets it; the type allows None
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _size_problem(text: str, path: str) -> Problem | None:
    """Why the document is too big or too deep to build, found from the parser's events alone.

    Counting the values the document would have once every alias is expanded needs only the
    size of each anchored value (an alias adds that many), so it costs one pass over the text,
    whatever the aliases would expand to. It stops at the first problem: the parser itself
    slows down quadratically with the nesting depth.
    """
    values = 0  # values in the expanded document so far
    aliases = 0
    # Expanded size per anchor; None while the anchored collection is still open.
    anchored: dict[str, int | None] = {}
    open_collections: list[tuple[str | None, int]] = []  # (anchor, values before it)
    for event in yaml.parse(text, Loader=_YamlLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                return Problem(path, 1, 1, f"too many YAML aliases (at most {MAX_ALIASES})")
            name = str(event.anchor)
            if name in anchored and anchored[name] is None:
                return Problem(
                    path,
                    *_event_mark(event),
                    f"the alias *{name} is inside the value it names (&{name}), which would "
                    "then contain itself; copy the text instead",
                )
            # An undefined alias counts as one value; composing reports it with its position.
            values += anchored.get(name) or 1
            if values > MAX_VALUES:
                return Problem(
                    path,
                    *_event_mark(event),
                    f"YAML aliases expand this file to more than {MAX_VALUES:,} values "
                    f"(*{name} repeats {anchored.get(name) or 1:,}); copy the text instead "
                    "of aliasing aliases",
                )
        elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            values += 1
            if values > MAX_VALUES:
                return Problem(
                    path,
                    *_event_mark(event),
                    f"the file has more than {MAX_VALUES:,} values; a scenario has a few hundred",
                )
            anchor = str(event.anchor) if event.anchor is not None else None
            if isinstance(event, yaml.ScalarEvent):
                if anchor is not None:
                    anchored[anchor] = 1
                continue
            if len(open_collections) == MAX_DEPTH:
                return Problem(
                    path,
                    *_event_mark(event),
                    f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)",
                )
            if anchor is not None:
                anchored[anchor] = None
            open_collections.append((anchor, values - 1))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before = open_collections.pop()
            if anchor is not None:
                anchored[anchor] = values - before
    return None


class _Refused(Exception):
    """A value that cannot be built, at its position (ValueError from PyYAML has none)."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.position = _mark(node)
        self.message = message


class _Loader(_YamlLoader):  # type: ignore[misc]  # _YamlLoader is C or pure Python
    """The safe loader, with the values it cannot build reported where they are."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag == _INT_TAG and len(str(node.value)) > MAX_NUMBER_CHARS:
            raise _Refused(
                node,
                f"this number is too long ({len(str(node.value)):,} characters; at most "
                f"{MAX_NUMBER_CHARS:,}); if it is text, put it in quotes",
            )
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            # E.g. `2024-13-45` is read as a date and month 13 does not exist.
            raise _Refused(
                node, f"YAML cannot read this value ({exc}); if it is text, put it in quotes"
            ) from None


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """One parse: the node tree (for positions) and the data built from it."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def _decode(path: str, raw: bytes) -> tuple[str | None, list[Problem]]:
    if not raw.strip():
        return None, [Problem(path, 1, 1, "the file is empty; start from `coach scenarios new`")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [_too_large(path, len(raw))]
    if _is_utf16(raw):
        return None, [
            Problem(
                path,
                1,
                1,
                'this file is saved as UTF-16 (Notepad calls it "Unicode"); save it as UTF-8',
            )
        ]
    if b"\x00" in raw:
        line, col = _offset_position(raw, raw.index(b"\x00"))
        return None, [Problem(path, line, col, "this is a binary file, not a YAML text file")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line, col = _offset_position(raw, exc.start)
        return None, [
            Problem(path, line, col, f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save as UTF-8")
        ]


def _is_utf16(raw: bytes) -> bool:
    """A UTF-16 file: a byte-order mark, or text whose every other byte is NUL."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = raw[:4096]
    pairs = len(sample) // 2
    if pairs < 4:
        return False
    even, odd = sample[0 : pairs * 2 : 2].count(0), sample[1 : pairs * 2 : 2].count(0)
    return max(even, odd) >= 0.9 * pairs and min(even, odd) == 0


def _too_large(path: str, size: int) -> Problem:
    return Problem(path, 1, 1, f"the file is too large ({size:,} bytes; the limit is 1 MiB)")


def _offset_position(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return line, col


_CLOSERS = {"[": "]", "{": "}"}
# A key at the start of a line's value: `name: `, `- name: ` (not a quoted or flow value).
_KEY_PREFIX = re.compile(r"""[^\s#'"\[\]{},&*!|>%@`-][^#]*?:(?:\s+|$)|-(?=\s)""")


_BLOCK_SCALAR = re.compile(r"[|>][-+0-9]*\s*(?:#.*)?$")


def _value_start(line: str) -> int | None:
    """Where the value on a line starts (after indentation, list dashes and a key), or None."""
    col = len(line) - len(line.lstrip(" "))
    while True:
        if line.startswith("- ", col) or line.startswith("-\t", col):
            col += 2
            while col < len(line) and line[col] == " ":
                col += 1
            continue
        match = _KEY_PREFIX.match(line, col)
        if match is None or match.group() == "-":
            break
        col = match.end()
    rest = line[col:].strip()
    return col if rest and not rest.startswith("#") else None


def _close_of(line: str, start: int) -> int | None:
    """The index of what closes the quote or bracket at `line[start]` on that line, or None."""
    opener = line[start]
    if opener in "\"'":
        i = start + 1
        while i < len(line):
            if opener == '"' and line[i] == "\\":
                i += 2
                continue
            if line[i] == opener:
                if opener == "'" and line.startswith("''", i):
                    i += 2
                    continue
                return i
            i += 1
        return None
    depth = 0
    i = start
    while i < len(line):
        char = line[i]
        if char in "\"'" and i > start and line[i - 1] in " [{,":
            close = _close_of(line, i)
            if close is None:
                return None
            i = close + 1
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _starts_with_closed_opener(line: str) -> bool:
    """`- [smiles] Thank you.` or `"Thank you" he says.`: a value that opens with a quote or
    bracket, closes it, and goes on, so YAML reads the part in brackets or quotes alone."""
    col = _value_start(line)
    if col is None or line[col] not in "[{\"'":
        return False
    close = _close_of(line, col)
    after = line[close + 1 :].split(" #")[0].strip() if close is not None else ""
    return bool(after)


def _unclosed_quote(lines: list[str], error_line: int) -> tuple[int, int] | None:
    """The first quote opened as a value and not closed on its line, whose text then runs over
    lines that are not indented under it (so YAML read the rest of the file as quoted text)
    before `error_line` (0-based); its 1-based line and column."""
    block_indent: int | None = None  # inside a `|` or `>` block, quotes are plain text
    last = min(error_line, len(lines) - 1)
    number = -1
    while number < last:
        number += 1
        line = lines[number]
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None and (not line.strip() or indent > block_indent):
            continue
        block_indent = None
        col = _value_start(line)
        if col is not None and _BLOCK_SCALAR.match(line, col):
            block_indent = indent
            continue
        if col is None or line[col] not in "\"'" or _close_of(line, col) is not None:
            continue
        quote, opened = line[col], number
        while number < last:
            number += 1
            text = lines[number]
            if not text.strip():
                continue
            if len(text) - len(text.lstrip(" ")) <= indent:
                return (opened + 1, col + 1)
            if _close_of(quote + text.replace("\\\\", "").lstrip(), 0) is not None:
                break  # closed on a line indented under it: a quoted text over many lines
    return None


# The parser's names for what it was reading, in a trainer's words.
_NOUNS = {
    "block mapping": "the group of keys",
    "mapping": "the group of keys",
    "flow mapping": "the { } mapping",
    "block collection": "the list",
    "block sequence": "the list",
    "flow sequence": "the [ ] list",
    "quoted scalar": "the quoted text",
    "block scalar": "the block of text",
}


def _noun(context: str) -> str | None:
    """'the [ ] list' from 'while parsing a flow sequence'; None for other contexts."""
    match = re.fullmatch(r"while (?:parsing|scanning|constructing) an? (.+)", context)
    if match is None:
        return None
    return _NOUNS.get(match.group(1), f"the {match.group(1)}")


def _too_deep_at(line: str) -> int | None:
    """The column of the bracket that opens level MAX_DEPTH + 1 on `line` (the enclosing
    block mapping is level 1), where libyaml only says where it gave up, many brackets on."""
    depth = 1
    for i, ch in enumerate(line):
        if ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return i + 1
        elif ch in "]}":
            depth -= 1
    return None


def _yaml_problem(path: str, exc: yaml.YAMLError, text: str = "") -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    lines = text.splitlines()
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    context_mark = getattr(exc, "context_mark", None)
    started = (
        context_mark.line + 1 if context_mark and mark and context_mark.line != mark.line else None
    )
    if "maximum nesting depth" in problem:
        # libyaml's own limit (PyYAML 6.0.4 and later), met while it scans a whole line of
        # brackets ahead, before the depth check on the events can say it at level 51.
        here = lines[line - 1] if 0 < line <= len(lines) else ""
        return Problem(
            path,
            line,
            _too_deep_at(here) or col,
            f"the YAML is nested too deeply (more than {MAX_DEPTH} levels)",
        )
    quote = _unclosed_quote(lines, line - 1) if mark and lines else None
    if quote is not None and quote[0] < line:
        return Problem(
            path,
            *quote,
            f"YAML syntax error: a quote opened at {quote[0]}:{quote[1]} is never closed "
            f"(YAML read on to line {line} as part of it); end the text with "
            f"{lines[quote[0] - 1][quote[1] - 1]} on the same line",
        )
    if problem == "but found another document":
        first = f" (the first starts at line {started})" if started else ""
        return Problem(
            path,
            line,
            col,
            "YAML syntax error: a second document starts here ('---'); a scenario file holds "
            f"one document{first}: remove this line and what follows, or move it to its own file",
        )
    noun = _noun(context)
    if noun and started:
        message = f"YAML syntax error: {problem} in {noun} that starts at line {started}"
    elif noun:
        message = f"YAML syntax error: {problem} in {noun}"
    elif context and not context.startswith("while "):
        message = f"YAML syntax error: {problem} ({context})"
    else:
        message = f"YAML syntax error: {problem}"
    here = lines[line - 1] if mark and 0 < line <= len(lines) else ""
    before = next((t for t in reversed(lines[: line - 1]) if t.strip()), "") if mark else ""
    said = problem
    if "\t" in said or "\\t" in said or "tab" in said:
        message += "; indent with spaces, not tabs"
    elif "cannot start any token" in said:
        # libyaml does not name the character; a tab is by far the usual one.
        message += "; often a tab: indent with spaces, not tabs"
    elif "hexdecimal number" in said or "unknown escape character" in said:
        # `"C:\Users\new"`: \U and \n start escapes in double quotes.
        message += (
            "; a backslash in double quotes starts an escape (like \\n); use single quotes "
            "or forward slashes, e.g. 'C:\\Users\\shift.docx'"
        )
    elif "unhashable key" in said:
        message += "; a key is a plain word followed by ':', not a list or a '?' line"
    elif "mapping values are not allowed" in said:
        # The usual causes: unquoted text with ": " in it ("line: Let me guess: you ..."),
        # or a key indented deeper than its neighbours.
        message += (
            '; if this is text containing ": ", put the whole value in quotes; otherwise '
            "check that this line is indented like the keys beside it"
        )
    elif _starts_with_closed_opener(here) or (
        "expected" in said and line > 1 and _starts_with_closed_opener(before)
    ):
        # "- [smiles] Thank you." is read as a list, '- "Thank you" he says.' ends at the
        # quote: a line of text starting with [, { or a quote goes in quotes whole.
        message += (
            "; a line of text that starts with [, { or a quote must be quoted whole, "
            """e.g. - '[smiles] Thank you.'"""
        )
    elif "expected ',' or ']'" in said or "expected ',' or '}'" in said:
        closer = "]" if "']'" in said else "}"
        opened = lines[context_mark.line] if context_mark and context_mark.line < len(lines) else ""
        at = context_mark.column if context_mark else 0
        if started and at < len(opened) and opened[at] in "[{" and _close_of(opened, at) is None:
            message += (
                f"; the '{opened[at]}' at {started}:{at + 1} is never closed: end its items "
                f"with '{closer}' on that line"
            )
        else:
            message += f"; check for a missing ',' between items or a missing '{closer}'"
    elif "expected" in said:
        # A trainer's under-indented key, a continuation line at column 1, or text after a
        # closing quote ('"Thank you" he says.') all end here.
        message += (
            "; check the indentation of this line and the lines above it (keys of one "
            "mapping line up; continuation lines are indented), and quote a whole line of "
            "text that starts or ends with a quote"
        )
    return Problem(path, line, col, message)


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation like `X | None`, `list[X]`, `dict[K, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap_model(typing.get_args(annotation)[0])
    if origin in (list, dict, typing.Union, types.UnionType):
        for arg in reversed(typing.get_args(annotation)):
            found = _unwrap_model(arg)
            if found is not None:
                return found
    return None


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class whose fields are allowed at `loc` (list indexes and dict keys skipped)."""
    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int) or part not in model.model_fields:
            continue
        model = _unwrap_model(model.model_fields[part].annotation)
    return model


def _closest(word: str, options: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _did_you_mean(meant: str | None) -> str:
    return f" (did you mean {meant!r}?)" if meant else ""


def _where(loc: Loc, data: Any = None) -> str:
    """`loc` as a path; an item with an id is named by it ("offline_script.stages[deal]"),
    another by its place counted from 1 ("skills[2]" is the second skill), not from zero."""
    if not loc:
        return "the top level"
    out: list[str] = []
    node = data
    for part in loc:
        item = None
        if isinstance(part, int) and isinstance(node, list) and 0 <= part < len(node):
            item = node[part]
        elif isinstance(part, str) and isinstance(node, dict):
            item = node.get(part)
        ident = item.get("id") if isinstance(item, dict) else None
        if isinstance(part, int) and isinstance(ident, str) and out:
            out[-1] += f"[{ident}]"
        elif isinstance(part, int) and out:
            out[-1] += f"[{part + 1}]"  # counted from 1, as a trainer counts the lines
        else:
            out.append(str(part))
        node = item
    return ".".join(out)


def _clean_loc(raw: tuple[str | int, ...]) -> Loc:
    """An error's location without pydantic's union-member tags ("[Model]")."""
    return tuple(p for p in raw if not (isinstance(p, str) and p.startswith("[")))


def _meant_key(key: str, parent: Loc, data: Any) -> str | None:
    """The allowed key an unknown `key` most likely misspells, preferring keys not yet set."""
    model = _model_at(parent)
    allowed = list(model.model_fields) if model else []
    present = _keys_at(data, parent)
    return _closest(key, [a for a in allowed if a not in present]) or _closest(key, allowed)


def _scalar_hint(value: Any) -> str:
    """Why a text field got a number, a boolean or a date: YAML reads `2024`, `12:30`, `yes`,
    `no`, `on` and `2024-01-05` so unless they are quoted."""
    if isinstance(value, bool):
        return f" (YAML read this as {str(value).lower()}; put text in quotes)"
    if isinstance(value, int | float):
        return " (YAML read this as a number; put text in quotes)"
    if isinstance(value, datetime.datetime):
        return " (YAML read this as a date and time; put text in quotes)"
    if isinstance(value, datetime.date):
        return " (YAML read this as a date; put text in quotes)"
    return ""


_ID_RULES = {
    # The scenario id, as `coach scenarios new --id` explains it.
    "^[a-z0-9][a-z0-9-]*$": "use lowercase letters, digits and dashes, starting with a letter "
    "or digit, at most 64 characters",
    "^[a-z0-9][a-z0-9_-]*$": "use lowercase letters, digits, dashes and underscores, starting "
    "with a letter or digit",
}


def _is_text_list(loc: Loc) -> bool:
    """Whether the field at `loc` is a list of text lines (replies, interests, tags...)."""
    model = _model_at(loc[:-1]) if loc else None
    info = model.model_fields.get(str(loc[-1])) if model else None
    if info is None:
        return False
    annotation: Any = info.annotation
    for arg in (annotation, *typing.get_args(annotation)):
        while typing.get_origin(arg) is typing.Annotated:
            arg = typing.get_args(arg)[0]
        if typing.get_origin(arg) is list:
            item = typing.get_args(arg)[0]
            while typing.get_origin(item) is typing.Annotated:
                item = typing.get_args(item)[0]
            return item is str
    return False


def _plain_message(kind: str, err: Any, loc: Loc) -> str | None:
    """A trainer's wording for the usual pydantic errors, or None to keep pydantic's."""
    given = err.get("input")
    if kind == "list_type":
        if _is_text_list(loc):
            return "should be a list of lines, each starting with '- '"
        return "should be a list, each item on its own line starting with '- '"
    if kind == "too_short" and isinstance(given, list):
        return "needs at least one line" if _is_text_list(loc) else "needs at least one item"
    if kind == "string_type" and isinstance(given, dict):
        return (
            "this line has ': ' in it, so YAML read it as a key; put the line in quotes"
            if len(given) == 1
            else "YAML read this as keys and values; put text in quotes"
        )
    if kind == "string_type" and isinstance(given, list):
        return "YAML read this as a list (it starts with '['); put the whole text in quotes"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "should be a whole number, e.g. 8"
    if kind in ("float_parsing", "float_type"):
        return "should be a number, e.g. 1.0"
    if kind in ("bool_parsing", "bool_type"):
        return "should be true or false"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "should be a group of keys, each on its own line indented under this one"
    if kind == "string_pattern_mismatch":
        rule = _ID_RULES.get(str((err.get("ctx") or {}).get("pattern", "")))
        if rule is not None:
            return f"{given!r} is not a valid id: {rule}"
    return None


def _is_blank(err: Any) -> bool:
    """Text that is empty or only spaces (stripped before the length is checked)."""
    ctx = err.get("ctx") or {}
    return bool(err["type"] == "string_too_short" and ctx.get("min_length") == 1)


def _empty_text(loc: Loc) -> str:
    """What to do about an empty value at `loc`."""
    if loc and isinstance(loc[-1], int):
        return "this item is empty; write some text, or remove the item"
    model = _model_at(loc[:-1])
    info = model.model_fields.get(str(loc[-1])) if model and loc else None
    if info is not None and not info.is_required():
        return "the value is empty; write some text after the colon, or leave the key out"
    return "the value is empty; write some text after the colon"


def _validation_problems(
    path: str, exc: ValidationError, marks: _Marks, data: Any
) -> list[Problem]:
    problems: list[Problem] = []
    errors = exc.errors(include_url=False)
    # A misspelt required key shows up twice: as unknown and as missing. The unknown one,
    # with its "did you mean", is the useful line; the missing one is dropped.
    meant: dict[Loc, str | None] = {}
    for err in errors:
        if err["type"] == "extra_forbidden":
            loc = _clean_loc(err["loc"])
            meant[loc] = _meant_key(str(loc[-1]), loc[:-1], data)
    suggested = {(*loc[:-1], key) for loc, key in meant.items() if key is not None}
    for err in errors:
        loc = _clean_loc(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            parent, key = loc[:-1], str(loc[-1])
            line, col = marks.key_at(loc)
            message = f"unknown key {key!r} in {_where(parent, data)}{_did_you_mean(meant[loc])}"
        elif kind == "missing":
            if loc in suggested:
                continue
            parent, key = loc[:-1], str(loc[-1])
            line, col = marks.key_at(parent) if parent else marks.value_at(())
            message = f"missing required key {key!r} in {_where(parent, data)}"
        elif isinstance((err.get("ctx") or {}).get("error"), ReferenceProblems):
            # Cross-reference errors are raised for the whole scenario, all of them at once,
            # each with the path to the value at fault.
            for at, text in err["ctx"]["error"].found:
                problems.append(Problem(path, *marks.value_at(at), text))
            continue
        else:
            text = _plain_message(kind, err, loc) or str(err["msg"]).removeprefix("Value error, ")
            line, col = marks.value_at(loc)
            message = f"{_where(loc, data)}: {text}" if loc else text
            if (kind == "string_type" and err.get("input") is None) or _is_blank(err):
                message = f"{_where(loc, data)}: {_empty_text(loc)}"
            elif kind == "string_type":
                message += _scalar_hint(err.get("input"))
            if kind in ("enum", "literal_error") and isinstance(err.get("input"), str):
                expected = str(err.get("ctx", {}).get("expected", ""))
                options = [o.strip(" '") for o in expected.replace(" or ", ",").split(",")]
                message += _did_you_mean(_closest(err["input"], [o for o in options if o]))
        problems.append(Problem(path, line, col, message))
    problems.sort(key=lambda p: (p.line, p.col))
    return problems


def _keys_at(data: Any, loc: Loc) -> set[str]:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return set()
    return set(node) if isinstance(node, dict) else set()


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    scenario: Scenario
    path: Path
    id_position: tuple[int, int]
    # Valid, but worth a second look (`coach scenarios validate` prints them as notes).
    notes: tuple[Problem, ...] = ()


# "What happened? She merged on Tuesday ...": a scripted line is chosen by the kind of move,
# not by the learner's words, so an answer that restates a question reads wrong whenever the
# learner asked something else.
_RESTATED_QUESTION = re.compile(
    r"^(?:And )?(?:What|How|Why|Where|When|Who|Which|Is)\b[^.?!]*\?\s+\S"
)


def _style_notes(path: str, data: dict[str, Any], marks: _Marks) -> list[Problem]:
    """Advice on a valid file: answers to questions that open by restating one, and
    objectives met before the conversation starts."""
    notes = []
    script = data.get("offline_script") or {}
    for i, stage in enumerate(script.get("stages") or []):
        replies = stage.get("replies") or {}
        for move in ("open_question", "closed_question"):
            for j, line in enumerate(replies.get(move) or []):
                if isinstance(line, str) and _RESTATED_QUESTION.match(line):
                    where = marks.value_at(("offline_script", "stages", i, "replies", move, j))
                    notes.append(
                        Problem(
                            path,
                            *where,
                            "note: this answer starts by restating a question the learner "
                            "may not have asked; say the answer in the character's voice "
                            "(docs/scenarios.md, design tips)",
                        )
                    )
    raw_skills = data.get("skills")
    skills: list[Any] = raw_skills if isinstance(raw_skills, list) else []
    for i, skill in enumerate(skills):
        if skill in skills[:i]:
            notes.append(
                Problem(
                    path,
                    *marks.value_at(("skills", i)),
                    f"note: {skill!r} is listed twice in skills; once is enough (the repeat "
                    "is ignored)",
                )
            )
    # An objective reached at the first stage is met before the learner says anything.
    stages = script.get("stages") or []
    first = stages[0].get("id") if stages and isinstance(stages[0], dict) else None
    for i, objective in enumerate(data.get("objectives") or []):
        if isinstance(objective, dict) and first and objective.get("reached_at_stage") == first:
            notes.append(
                Problem(
                    path,
                    *marks.value_at(("objectives", i, "reached_at_stage")),
                    f"note: {first!r} is the first stage, where the conversation starts, so "
                    "this objective counts as met before the learner says anything; name a "
                    "later stage",
                )
            )
    return notes


# Values that name something (an id, a stage, a move) rather than say something: a comment
# after them is the usual `key: value  # what this is`.
_NAMING_KEYS = frozenset({"id", "category", "difficulty", "reached_at_stage"})


def _is_text_field(loc: Loc) -> bool:
    """Whether `loc` holds text a person reads (a title, a line), not a name or a number."""
    keys = [part for part in loc if isinstance(part, str)]
    if not keys or keys[-1] in _NAMING_KEYS:
        return False
    field_loc = loc[:-1] if isinstance(loc[-1], int) else loc
    model = _model_at(field_loc[:-1])
    info = model.model_fields.get(str(field_loc[-1])) if model and field_loc else None
    if info is None:
        return False
    annotation: Any = info.annotation
    if isinstance(loc[-1], int):
        return _is_text_list(field_loc)
    for arg in (annotation, *typing.get_args(annotation)):
        while typing.get_origin(arg) is typing.Annotated:
            arg = typing.get_args(arg)[0]
        if arg is str:
            return True
    return False


def _comment_notes(path: str, node: yaml.Node, lines: list[str], loc: Loc = ()) -> list[Problem]:
    """`title: Ask a colleague # to swap` is "Ask a colleague": YAML drops what follows ` #`
    after an unquoted value. Said as a note on text fields, where it is rarely meant."""
    notes: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            notes += _comment_notes(path, value_node, lines, (*loc, str(key_node.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            notes += _comment_notes(path, item, lines, (*loc, index))
    elif isinstance(node, yaml.ScalarNode) and not node.style and node.value:
        end = node.end_mark
        after = lines[end.line][end.column :] if end.line < len(lines) else ""
        if re.match(r"\s+#", after) and _is_text_field(loc):
            notes.append(
                Problem(
                    path,
                    end.line + 1,
                    end.column + after.index("#") + 1,
                    "note: the text after ' #' is a YAML comment and was dropped; quote the "
                    "value to keep it",
                )
            )
    return notes


def load_text(text_or_bytes: str | bytes, path: str) -> LoadedScenario:
    """Parse and validate one scenario; raises ScenarioError with every problem found."""
    raw = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    text, problems = _decode(path, raw)
    if text is None:
        raise ScenarioError(problems)
    try:
        too_big = _size_problem(text, path)
        if too_big is not None:
            raise ScenarioError([too_big])
        node, data = _compose_and_construct(text)
    except _Refused as exc:
        raise ScenarioError([Problem(path, *exc.position, exc.message)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(path, exc, text)]) from None
    except RecursionError:
        raise ScenarioError([Problem(path, 1, 1, "the YAML is nested too deeply")]) from None
    if node is None or data is None:
        raise ScenarioError([Problem(path, 1, 1, "the file has no content, only comments")])
    marks = _Marks()
    _record_marks(node, (), marks, problems, path)
    if not isinstance(data, dict):
        kind = type(data).__name__
        problems.append(
            Problem(path, *_mark(node), f"a scenario must be a mapping of keys, not a {kind}")
        )
        raise ScenarioError(problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(path, exc, marks, data))
    if problems:
        declared = data.get("id")
        raise ScenarioError(
            sorted(problems, key=lambda p: (p.line, p.col)),
            scenario_id=declared if isinstance(declared, str) else None,
        )
    notes = tuple(
        sorted(
            [*_style_notes(path, data, marks), *_comment_notes(path, node, text.splitlines())],
            key=lambda p: (p.line, p.col),
        )
    )
    return LoadedScenario(scenario, Path(path), marks.value_at(("id",)), notes)


_SPECIAL_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file, at most MAX_FILE_BYTES + 1 of them.

    Reading a named pipe waits for a writer forever and /dev/zero never ends, so the file is
    opened without blocking and checked before anything is read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            kind = next((k for is_kind, k in _SPECIAL_KINDS if is_kind(status.st_mode)), None)
            message = f"this is {kind or 'a special file'}, not a regular file; give a .yaml file"
            raise ScenarioError([Problem(str(path), 1, 1, message)])
        if status.st_size > MAX_FILE_BYTES:
            raise ScenarioError([_too_large(str(path), status.st_size)])
        # Bounded in case the file grows meanwhile; _decode then says it is too large.
        return file.read(MAX_FILE_BYTES + 1)


def load_file(path: Path) -> LoadedScenario:
    """Load one file; unreadable files become a Problem too."""
    try:
        raw = _read_regular_file(path)
    except OSError as exc:
        raise ScenarioError([Problem(str(path), 1, 1, f"cannot read: {exc.strerror}")]) from None
    return load_text(raw, str(path))


def duplicate_id_problems(loaded: Iterable[LoadedScenario]) -> list[Problem]:
    """Ids must be unique across a library; each repeat is reported at its `id:` value."""
    first: dict[str, LoadedScenario] = {}
    problems: list[Problem] = []
    for item in loaded:
        other = first.get(item.scenario.id)
        if other is None:
            first[item.scenario.id] = item
            continue
        line, col = item.id_position
        problems.append(
            Problem(
                str(item.path),
                line,
                col,
                f"duplicate scenario id {item.scenario.id!r} "
                f"(also in {other.path}:{other.id_position[0]})",
            )
        )
    return problems


_YAML_SUFFIXES = frozenset({".yaml", ".yml"})


def scenario_files(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        # "Shift Swap.YAML" from a Windows editor counts; so does ".yml".
        yield from sorted(
            p for p in folder.iterdir() if p.suffix.lower() in _YAML_SUFFIXES and p.is_file()
        )
