"""Where leanagent keeps its state, and its configuration file, resolved in one place.

The home: the ``--home`` flag, then ``LEANAGENT_HOME``, then (given ``--config FILE``)
that file's ``home`` key, then the default ``$XDG_DATA_HOME/leanagent``
(``~/.local/share/leanagent`` when XDG_DATA_HOME is unset). Nothing is written outside
the home directory.

The configuration file: ``--config FILE`` / ``LEANAGENT_CONFIG``, else
``HOME/leanagent.toml`` when it exists. Its format is described in
docs/configuration.md; this module reads it (`read_config_file`), and
`leanagent.cli.configfile` maps it onto the commands.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from database.errors import ConfigError, ConfigFileError
from database.home import Home

HOME_ENV = "LEANAGENT_HOME"


def default_home(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path(env.get("HOME", str(Path.home()))) / ".local" / "share"
    return base / "leanagent"


def resolve_home(flag: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Home:
    env = os.environ if environ is None else environ
    raw = flag if flag is not None else env.get(HOME_ENV)
    if raw is not None and str(raw).strip() == "":
        raise ConfigError(f"{HOME_ENV} is set but empty: unset it or give a directory")
    root = Path(raw).expanduser() if raw is not None else default_home(env)
    root = root.resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"home {root} exists and is not a directory: pass another with --home")
    # The nearest existing ancestor must be a directory too (`--home FILE/sub` cannot be
    # created).
    for parent in root.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"home {root} cannot be created: {parent} is a file, not a directory; "
                                  "pass another with --home")
            break
    return Home(root)


# -- the configuration file -----------------------------------------------------------------
#
# What a key *means* is the CLI's business (`leanagent.cli.configfile` maps tables to
# commands and keys to options); this part only reads the file and remembers where each
# key was written, because tomllib returns values without positions.

CONFIG_FILE = "leanagent.toml"
CONFIG_ENV = "LEANAGENT_CONFIG"

KeyPath = tuple[str, ...]


@dataclass(frozen=True)
class ConfigDocument:
    """A parsed TOML file and the line of every key and table header in it."""

    path: Path
    data: dict[str, Any]
    lines: Mapping[KeyPath, int]

    def line_of(self, keys: KeyPath) -> int | None:
        """The line where ``keys`` (e.g. ``("run", "epochs")``) was written: the key's own
        line, else that of the nearest enclosing table or inline table that was."""
        for n in range(len(keys), 0, -1):
            if keys[:n] in self.lines:
                return self.lines[keys[:n]]
        return None

    def error(self, keys: KeyPath, message: str) -> ConfigFileError:
        return ConfigFileError(self.path, self.line_of(keys), message)


def read_config_file(path: Path) -> ConfigDocument:
    """Parse ``path`` as TOML; unreadable or malformed files raise `ConfigFileError` with
    the line tomllib reports."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigFileError(path, None, f"cannot read it ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigFileError(path, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)"; keep it, lead with the line.
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = int(match.group(1)) if match else None
        raise ConfigFileError(path, line, f"not valid TOML: {exc}") from exc
    return ConfigDocument(path=path, data=data, lines=key_lines(text))


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key_lines(text: str) -> dict[KeyPath, int]:
    """The 1-based line of every key and table header of a (valid) TOML document, keyed
    by its full path: ``[run]`` then ``epochs = 3`` gives ``("run",)`` and
    ``("run", "epochs")``; a dotted key ``run.lr = 1e-3`` also records ``("run",)`` where
    no earlier line did. Keys inside inline tables are not recorded (`line_of` falls back
    to the inline table's own key)."""
    scanner = _Scanner(text)
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    while scanner.skip_blank():
        line = scanner.line
        if scanner.peek() == "[":
            scanner.advance(2 if scanner.startswith("[[") else 1)
            table = scanner.key()
            for n in range(1, len(table) + 1):
                lines.setdefault(table[:n], line)
            scanner.skip_to_eol()
            continue
        path = table + scanner.key()
        for n in range(len(table) + 1, len(path) + 1):
            lines.setdefault(path[:n], line)
        scanner.expect("=")
        scanner.skip_value()
    return lines


class _Scanner:
    """Just enough of a TOML lexer to find where keys start: it skips strings (all four
    kinds), comments, and arrays or inline tables spanning lines. The document has been
    parsed by tomllib already, so malformed input need not be diagnosed here."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line = 1

    def peek(self) -> str:
        return self.text[self.i] if self.i < len(self.text) else ""

    def startswith(self, s: str) -> bool:
        return self.text.startswith(s, self.i)

    def advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.i, self.i + n)
        self.i += n

    def skip_blank(self) -> bool:
        """Skip whitespace, newlines and comments; False at the end of the text."""
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in " \t\r\n":
                self.advance()
            elif c == "#":
                self.skip_to_eol()
            else:
                return True
        return False

    def skip_to_eol(self) -> None:
        end = self.text.find("\n", self.i)
        self.i = len(self.text) if end < 0 else end

    def expect(self, char: str) -> None:
        self._skip_spaces()
        if self.peek() == char:
            self.advance()

    def _skip_spaces(self) -> None:
        while self.peek() in (" ", "\t"):
            self.advance()

    def key(self) -> KeyPath:
        """A (possibly dotted, possibly quoted) key, up to ``=`` or ``]``."""
        parts: list[str] = []
        while True:
            self._skip_spaces()
            c = self.peek()
            if c == '"':
                parts.append(self._basic_string())
            elif c == "'":
                parts.append(self._literal_string())
            else:
                match = _BARE_KEY.match(self.text, self.i)
                if match is None:
                    return tuple(parts)
                parts.append(match.group())
                self.advance(match.end() - self.i)
            self._skip_spaces()
            if self.peek() != ".":
                return tuple(parts)
            self.advance()

    def _basic_string(self) -> str:
        start = self.i + 1
        j = start
        while j < len(self.text) and self.text[j] not in '"\n':
            j += 2 if self.text[j] == "\\" else 1
        raw = self.text[start:j]
        self.advance(j + 1 - self.i)
        try:
            return str(tomllib.loads(f'k = "{raw}"')["k"])
        except tomllib.TOMLDecodeError:
            return raw

    def _literal_string(self) -> str:
        end = self.text.find("'", self.i + 1)
        end = len(self.text) if end < 0 else end
        raw = self.text[self.i + 1 : end]
        self.advance(end + 1 - self.i)
        return raw

    def _skip_multiline(self, quote: str) -> None:
        j = self.i + 3
        while True:
            end = self.text.find(quote, j)
            if end < 0:
                self.advance(len(self.text) - self.i)
                return
            # a backslash escapes the next quote in basic strings (not in literal ones)
            backslashes = len(self.text[j:end]) - len(self.text[j:end].rstrip("\\"))
            if quote == '"""' and backslashes % 2 == 1:
                j = end + 1
                continue
            # up to two extra quotes may end the string: '"""a""""' is 'a"'
            while self.text.startswith(quote[0], end + 3):
                end += 1
            self.advance(end + 3 - self.i)
            return

    def skip_value(self) -> None:
        """Skip one value, through the newline that ends it."""
        depth = 0
        while self.i < len(self.text):
            c = self.text[self.i]
            if self.startswith('"""') or self.startswith("'''"):
                self._skip_multiline(self.text[self.i : self.i + 3])
            elif c == '"':
                self._basic_string()
            elif c == "'":
                self._literal_string()
            elif c == "#":
                self.skip_to_eol()
            elif c in "[{":
                depth += 1
                self.advance()
            elif c in "]}":
                depth -= 1
                self.advance()
            elif c == "\n":
                self.advance()
                if depth <= 0:
                    return
            else:
                self.advance()
