"""A horizontal grouped bar chart written as a PNG with the standard library.

The harness draws its chart with this rather than depend on a plotting
package: an RGB canvas, filled rectangles, a 5x7 bitmap font of our own
(upper case, digits, a little punctuation) and a PNG encoder (zlib + crc32).
The value axis is logarithmic, which suits slowdown ratios spanning 1x-100x.
"""
import math
import struct
import zlib
from typing import Dict, List, Optional, Sequence, Tuple

Color = Tuple[int, int, int]

# Each glyph is seven rows of five bits, most significant bit on the left.
_FONT: Dict[str, Tuple[int, ...]] = {
    " ": (0, 0, 0, 0, 0, 0, 0),
    "0": (0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E),
    "1": (0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "2": (0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F),
    "3": (0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E),
    "4": (0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02),
    "5": (0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E),
    "6": (0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E),
    "7": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08),
    "8": (0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E),
    "9": (0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C),
    "A": (0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "B": (0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E),
    "C": (0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E),
    "D": (0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C),
    "E": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F),
    "F": (0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10),
    "G": (0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F),
    "H": (0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11),
    "I": (0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E),
    "J": (0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C),
    "K": (0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11),
    "L": (0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F),
    "M": (0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11),
    "N": (0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11),
    "O": (0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "P": (0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10),
    "Q": (0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D),
    "R": (0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11),
    "S": (0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E),
    "T": (0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04),
    "U": (0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E),
    "V": (0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04),
    "W": (0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A),
    "X": (0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11),
    "Y": (0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04),
    "Z": (0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F),
    ".": (0, 0, 0, 0, 0, 0x0C, 0x0C),
    ",": (0, 0, 0, 0, 0x0C, 0x04, 0x08),
    ":": (0, 0x0C, 0x0C, 0, 0x0C, 0x0C, 0),
    "-": (0, 0, 0, 0x1F, 0, 0, 0),
    "_": (0, 0, 0, 0, 0, 0, 0x1F),
    "/": (0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x10),
    "(": (0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02),
    ")": (0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08),
    "%": (0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03),
    "=": (0, 0, 0x1F, 0, 0x1F, 0, 0),
    "+": (0, 0x04, 0x04, 0x1F, 0x04, 0x04, 0),
    "<": (0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02),
    ">": (0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08),
    "?": (0x0E, 0x11, 0x01, 0x02, 0x04, 0, 0x04),
}

PALETTE: List[Color] = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
                        (148, 103, 189), (140, 86, 75)]


class Canvas:
    def __init__(self, width: int, height: int, bg: Color = (255, 255, 255)) -> None:
        self.w, self.h = width, height
        self.px = bytearray(bytes(bg) * (width * height))

    def rect(self, x0: int, y0: int, x1: int, y1: int, c: Color) -> None:
        x0, x1 = max(0, min(x0, x1)), min(self.w, max(x0, x1))
        y0, y1 = max(0, min(y0, y1)), min(self.h, max(y0, y1))
        if x0 >= x1:
            return
        row = bytes(c) * (x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.px[i:i + len(row)] = row

    def text(self, x: int, y: int, s: str, c: Color = (0, 0, 0), scale: int = 2) -> int:
        """Draws s with its top-left corner at (x, y); returns the end x."""
        for ch in s.upper().replace("\u00d7", "X"):
            glyph = _FONT.get(ch, _FONT["?"])
            for r, bits in enumerate(glyph):
                for col in range(5):
                    if bits & (0x10 >> col):
                        self.rect(x + col * scale, y + r * scale,
                                  x + (col + 1) * scale, y + (r + 1) * scale, c)
            x += 6 * scale
        return x

    def png(self) -> bytes:
        raw = bytearray()
        stride = self.w * 3
        for y in range(self.h):
            raw.append(0)  # filter: none
            raw += self.px[y * stride:(y + 1) * stride]

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (struct.pack(">I", len(data)) + kind + data
                    + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

        header = struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def text_width(s: str, scale: int = 2) -> int:
    return len(s) * 6 * scale


def _ticks(lo: float, hi: float) -> List[float]:
    out = []
    decade = 10.0 ** math.floor(math.log10(lo))
    while decade <= hi:
        for m in (1, 2, 5):
            v = m * decade
            if lo <= v <= hi:
                out.append(v)
        decade *= 10
    return out


def _fmt(v: float) -> str:
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def bar_chart(path: str, title: str, groups: Sequence[str], series: Sequence[str],
              values: Sequence[Sequence[Optional[float]]], axis_label: str) -> None:
    """values[g][s] is the value of series s in group g (None: no bar)."""
    bar, gap, scale = 14, 12, 2
    left = max(text_width(g, scale) for g in groups) + 24
    right, top = 80, 70 + 20 * ((len(series) + 3) // 4)
    plot_w = 760
    group_h = len(series) * (bar + 2) + gap
    width = left + plot_w + right
    height = top + len(groups) * group_h + 60
    cv = Canvas(width, height)
    cv.text(left, 12, title, scale=scale)

    # Legend, four entries per line.
    for i, label in enumerate(series):
        lx = left + (i % 4) * 190
        ly = 44 + (i // 4) * 20
        cv.rect(lx, ly, lx + 14, ly + 14, PALETTE[i % len(PALETTE)])
        cv.text(lx + 20, ly, label, scale=scale)

    present = [v for row in values for v in row if v is not None and v > 0]
    lo = 0.5
    while lo > min([1.0] + present) / 1.3:
        lo /= 2
    hi = max([10.0] + present) * 1.6
    span = math.log10(hi) - math.log10(lo)

    def xpos(v: float) -> int:
        return left + int(plot_w * (math.log10(v) - math.log10(lo)) / span)

    plot_bottom = top + len(groups) * group_h
    for t in _ticks(lo, hi):
        x = xpos(t)
        strong = abs(math.log10(t) - round(math.log10(t))) < 1e-9
        cv.rect(x, top - 4, x + 1, plot_bottom, (150, 150, 150) if strong else (220, 220, 220))
        label = f"{t:g}"
        cv.text(x - text_width(label, 2) // 2, plot_bottom + 6, label,
                (0, 0, 0) if strong else (110, 110, 110), scale=2)
    cv.text(left + plot_w // 2 - text_width(axis_label, scale) // 2, plot_bottom + 30,
            axis_label, scale=scale)

    for g, name in enumerate(groups):
        y = top + g * group_h
        cv.text(left - 12 - text_width(name, scale), y + (group_h - gap) // 2 - 7, name,
                scale=scale)
        for s, v in enumerate(values[g]):
            by = y + s * (bar + 2)
            if v is None or v <= 0:
                cv.text(left + 4, by + 3, "N/A", (120, 120, 120), scale=1)
                continue
            x1 = max(left + 1, xpos(v))
            cv.rect(left, by, x1, by + bar, PALETTE[s % len(PALETTE)])
            cv.text(x1 + 4, by, _fmt(v), scale=scale)
    cv.rect(left, top - 4, left + 1, plot_bottom, (0, 0, 0))
    with open(path, "wb") as f:
        f.write(cv.png())
