"""Source-level parsing of one Lean 4 file: commands, scopes, declarations, tactic blocks.

Everything here is pure (text in, picklable records out) so files can be parsed in a
process pool; name resolution, which needs every file, happens in `resolve`. The parts:

* `source`       -- the text, its blanked views (`database.lean_text`), positions;
* `cutting`      -- the header and where each command starts;
* `declarations` -- the scope stack and declarations (names, statements, sorries);
* `tactics`      -- the structure of tactic proofs (steps and nested blocks);
* `binders`      -- names bound in a declaration, and the identifiers it uses;
* `parsed`       -- the records they produce (`ParsedFile`, `Decl`, ...).

`parse_text` never raises: what cannot be understood becomes a diagnostic.
"""

from __future__ import annotations

from .declarations import FileParser
from .parsed import Block, Decl, OpenDirective, ParsedFile, Pos, Step, SubName

__all__ = ["Block", "Decl", "OpenDirective", "ParsedFile", "Pos", "Step", "SubName", "parse_bytes", "parse_text"]

#: Diagnostic prefixes of the safety nets below: a parser bug, not a property of the input.
INTERNAL_ERROR_PREFIXES = ("parser error:", "could not parse command:", "nesting too deep")


def parse_text(text: str, path: str, content_hash: str = "") -> ParsedFile:
    """Parse one file's text. Never raises: what cannot be understood becomes a diagnostic."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    num_lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    nul: list[tuple[int | None, str]] = []
    if "\0" in text:
        # Lean rejects NUL characters and starts reading the next command after them;
        # read as code they would glue that command onto the previous one. Dropped here,
        # which shifts the columns after them on their line.
        first = text[: text.index("\0")].count("\n") + 1
        nul.append((first, f"{text.count(chr(0))} NUL characters (the first on line {first}) removed: Lean rejects "
                           "them; columns after them on their lines are shifted"))
        text = text.replace("\0", "")
    try:
        fp = FileParser(text, path)
        fp.parse()
        return ParsedFile(path, content_hash, num_lines, fp.imports, fp.decls, nul + fp.diagnostics, fp.prelude)
    except RecursionError:
        return ParsedFile(path, content_hash, num_lines, [], [], [(None, "nesting too deep to parse")])
    except Exception as exc:  # never crash on a file: report it and index the rest
        return ParsedFile(path, content_hash, num_lines, [], [], [(None, f"parser error: {type(exc).__name__}: {exc}")])


def parse_bytes(data: bytes, path: str) -> ParsedFile:
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    bad: UnicodeDecodeError | None = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = data.decode("utf-8", errors="replace")
        bad = exc
    pf = parse_text(text, path, digest)
    if bad is not None:
        line = data[: bad.start].count(b"\n") + 1
        pf.diagnostics.insert(0, (line, "invalid UTF-8 (decoded with replacement characters)"))
    return pf
