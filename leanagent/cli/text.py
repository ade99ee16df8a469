"""Text for a terminal: stored strings shown without the control characters in them.

Names, file paths and messages come from repositories nobody vetted: a Lean name can be
anything between guillemets (``«\\x1b]0;pwned\\x07»``), a file name can hold any byte but
``/`` and NUL, ``--name`` is whatever was typed. Printed raw, escape sequences in them
reach the terminal (set its title, move the cursor, rewrite earlier lines, hide text);
bidirectional overrides reorder what is displayed. Human output therefore shows every
such character as a visible escape (``\\x1b``, ``\\u202e``); JSON output stays exact
(JSON escapes control characters itself).
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL; the bidirectional embeddings, overrides and isolates
# (Unicode's "Trojan Source" set, CVE-2021-42574); line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def shown(value: object) -> str:
    """One field of a human-readable line: every control character escaped (newlines
    and tabs too, so a name cannot fake a line or a column)."""
    return _UNSAFE.sub(_escape, str(value))


def terminal_safe(text: str) -> str:
    """A whole message: control characters escaped, its own line breaks kept."""
    return _UNSAFE_KEEP_LINES.sub(_escape, text)
