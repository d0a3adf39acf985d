"""ANSI escape sequences (colours in tracebacks and logs): to HTML, or stripped.

Only SGR sequences (``ESC [ ... m``) carry meaning for us; every other control sequence and
control character is dropped. Classes follow nbconvert's names (``ansi-red-fg``,
``ansi-bold`` ...) so that existing themes' CSS applies; 256-colour and true-colour values
become inline styles.
"""

from __future__ import annotations

import html

from sphinx_nbcache.engine import ESCAPE, clean_controls
from sphinx_nbcache.engine import strip_ansi as _strip_escapes

__all__ = ["ansi_to_html", "has_ansi", "strip_ansi"]

_COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")


def strip_ansi(text: str) -> str:
    """``text`` without escape sequences or control characters (for builders other than HTML)."""
    return _strip_escapes(clean_controls(text))


def has_ansi(text: str) -> bool:
    """Whether ``text`` holds an escape sequence."""
    return "\x1b" in text


def _xterm_256(n: int) -> str:
    """The CSS colour of xterm palette entry ``n`` (16-255; 0-15 use classes)."""
    if n < 232:
        n -= 16
        levels = [0 if v == 0 else 55 + 40 * v for v in (n // 36, (n // 6) % 6, n % 6)]
        return "rgb({},{},{})".format(*levels)
    grey = 8 + 10 * (n - 232)
    return f"rgb({grey},{grey},{grey})"


class _Style:
    """The SGR state: foreground, background (a class name or a CSS colour) and flags."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.fg: tuple[str, str] | None = None  # ("class" | "style", value)
        self.bg: tuple[str, str] | None = None
        self.bold = self.italic = self.underline = False

    def apply(self, params: list[int]) -> None:
        i = 0
        while i < len(params):
            code = params[i]
            if code == 0:
                self.reset()
            elif code == 1:
                self.bold = True
            elif code == 3:
                self.italic = True
            elif code == 4:
                self.underline = True
            elif code == 22:
                self.bold = False
            elif code == 23:
                self.italic = False
            elif code == 24:
                self.underline = False
            elif 30 <= code <= 37:
                self.fg = ("class", f"ansi-{_COLOURS[code - 30]}-fg")
            elif 90 <= code <= 97:
                self.fg = ("class", f"ansi-{_COLOURS[code - 90]}-intense-fg")
            elif code == 39:
                self.fg = None
            elif 40 <= code <= 47:
                self.bg = ("class", f"ansi-{_COLOURS[code - 40]}-bg")
            elif 100 <= code <= 107:
                self.bg = ("class", f"ansi-{_COLOURS[code - 100]}-intense-bg")
            elif code == 49:
                self.bg = None
            elif code in (38, 48) and i + 1 < len(params):
                colour, used = self._extended(params[i + 1 :])
                i += used
                if colour is not None:
                    if code == 38:
                        self.fg = colour
                    else:
                        self.bg = colour
            i += 1

    @staticmethod
    def _extended(rest: list[int]) -> tuple[tuple[str, str] | None, int]:
        """Parse ``5;n`` or ``2;r;g;b``; return the colour and how many numbers were used."""
        if rest[0] == 5 and len(rest) >= 2:
            n = rest[1]
            if 0 <= n < 8:
                return ("class", f"ansi-{_COLOURS[n]}"), 2
            if 8 <= n < 16:
                return ("class", f"ansi-{_COLOURS[n - 8]}-intense"), 2
            if 16 <= n < 256:
                return ("style", _xterm_256(n)), 2
            return None, 2
        if rest[0] == 2 and len(rest) >= 4:
            r, g, b = (max(0, min(255, v)) for v in rest[1:4])
            return ("style", f"rgb({r},{g},{b})"), 4
        return None, 1

    def span_open(self) -> str:
        classes: list[str] = []
        styles: list[str] = []
        for colour, suffix, prop in (
            (self.fg, "-fg", "color"),
            (self.bg, "-bg", "background-color"),
        ):
            if colour is None:
                continue
            kind, value = colour
            if kind == "class":
                classes.append(value if value.endswith(suffix) else value + suffix)
            else:
                styles.append(f"{prop}: {value}")
        if self.bold:
            classes.append("ansi-bold")
        if self.italic:
            classes.append("ansi-italic")
        if self.underline:
            classes.append("ansi-underline")
        if not classes and not styles:
            return ""
        attrs = ""
        if classes:
            attrs += f' class="{" ".join(classes)}"'
        if styles:
            attrs += f' style="{"; ".join(styles)}"'
        return f"<span{attrs}>"


def ansi_to_html(text: str) -> str:
    """``text`` as HTML: escaped, with SGR colours and weights as ``<span>`` elements.

    The result is meant for the inside of a ``<pre>``; spans never cross an escape sequence,
    so the markup is always balanced.
    """
    text = clean_controls(text)
    out: list[str] = []
    style = _Style()
    pos = 0

    def emit(chunk: str) -> None:
        if not chunk:
            return
        opening = style.span_open()
        out.append(opening + html.escape(chunk, quote=False) + ("</span>" if opening else ""))

    for match in ESCAPE.finditer(text):
        emit(text[pos : match.start()])
        pos = match.end()
        if match.group(2) == "m":
            raw = match.group(1).replace(":", ";")
            params = [int(p) if p.isdigit() else 0 for p in raw.split(";")] if raw else [0]
            style.apply(params)
    emit(text[pos:])
    return "".join(out)
