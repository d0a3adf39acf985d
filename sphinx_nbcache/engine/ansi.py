"""ANSI escape sequences: the one pattern that finds them, and stripping them.

Tracebacks from IPython carry colours; the engine stores them stripped, and the Sphinx layer
turns the same sequences into HTML. Other control characters (a bell, a backspace, a
terminal title) mean nothing on a page: :func:`clean_controls` removes them.
"""

from __future__ import annotations

import re

#: OSC sequences (``ESC ] ... BEL`` or ``ESC ] ... ESC \``: terminal titles, hyperlinks), any
#: CSI sequence (group 1: parameters, group 2: final byte; SGR ends in "m"), plus the
#: two-character escapes (ESC c, ESC ( B ...)
ESCAPE = re.compile(
    r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b\[([0-9;:?]*)([@-~])|\x1b[()][0-9A-B]|\x1b[^\[()\]]"
)

#: C0 control characters other than tab, newline, carriage return and ESC (which starts the
#: sequences above), and DEL
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")

#: what a carriage return followed by more text on its line rewrites (a progress bar's steps)
_OVERWRITTEN = re.compile(r"[^\n]*\r(?=[^\r\n])")

#: anything :func:`clean_controls` may change
_ANY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def strip_ansi(text: str) -> str:
    """``text`` without any escape sequence."""
    return ESCAPE.sub("", text)


def clean_controls(text: str) -> str:
    """``text`` as a terminal would leave it, escape sequences kept for their colours.

    OSC sequences and control characters are removed; a line rewritten after a carriage
    return (a progress bar) keeps its last state, as a terminal shows it.
    """
    if not _ANY_CONTROL.search(text):
        return text  # the common case, cheaply
    text = ESCAPE.sub(lambda m: "" if m.group(0).startswith("\x1b]") else m.group(0), text)
    text = CONTROL.sub("", text)
    text = _OVERWRITTEN.sub("", text.replace("\r\n", "\n"))
    return text.replace("\r", "")
