"""ANSI escape sequences: the one pattern that finds them, and stripping them.

Tracebacks from IPython carry colours; the engine stores them stripped, and the Sphinx layer
turns the same sequences into HTML.
"""

from __future__ import annotations

import re

#: any CSI sequence (group 1: parameters, group 2: final byte; SGR ends in "m"), plus the
#: two-character escapes (ESC c, ESC ( B ...)
ESCAPE = re.compile(r"\x1b\[([0-9;:?]*)([@-~])|\x1b[()][0-9A-B]|\x1b[^\[()]")


def strip_ansi(text: str) -> str:
    """``text`` without any escape sequence."""
    return ESCAPE.sub("", text)
