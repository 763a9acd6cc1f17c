"""The visible signature appearance of Decree 30/2020/NĐ-CP (Appendix I), drawn with pyHanko.

- Personal signature (người có thẩm quyền): a box with the competence/title (chức vụ) on top, the
  signer's image (blue, transparent PNG) centred in the middle and the full name below.
- Agency signature on the main document: the agency's seal image (red, transparent) over the
  left third of the signer's image.
- Agency signature on attachments and electronic copies: top-right of page 1, no image, with the
  agency name, the number/symbol of the document and the signing time in ISO 8601.

Text is real PDF text in an embedded, subsetted TrueType font (Noto Serif/Sans, or DejaVu when
Noto is missing) through pyHanko's OpenType support (GlyphAccumulator, HarfBuzz shaping), so
Vietnamese diacritics render and can be searched. Images not given are drawn here with Pillow:
a handwriting-like signature from the name, and a round red seal with the agency name.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from fontTools import subset as ft_subset  # type: ignore[import-untyped, unused-ignore]
from fontTools import ttLib  # type: ignore[import-untyped, unused-ignore]
from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import ResourceType
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.images import pil_image
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp.base import BaseStamp, BaseStampStyle

from egov.core.text import collapse_spaces, nfc

from .error_codes import SigningErrorCode
from .errors import SigningError

Placement = Literal["auto", "seal", "corner"]

# fontTools reports every subsetting step at INFO level
logging.getLogger("fontTools").setLevel(logging.WARNING)

SIGNER_INK = (20, 50, 160)  # blue, as Decree 30 asks for the signer's image
SEAL_RED = (206, 17, 38)

FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/dejavu")
FONT_FILES = {
    "regular": ("NotoSans-Regular.ttf", "DejaVuSans.ttf"),
    "bold": ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"),
    "serif_bold": ("NotoSerif-Bold.ttf", "DejaVuSerif-Bold.ttf", "NotoSans-Bold.ttf"),
    "script": ("NotoSerif-Italic.ttf", "DejaVuSerif-Italic.ttf", "NotoSans-Italic.ttf"),
}


@dataclass(frozen=True)
class Appearance:
    """What a visible signature shows.

    title: the signer's position (chức vụ), e.g. "CHỦ TỊCH"; for an agency signature on a copy,
        the agency name (defaults to the certificate's organisation).
    full_name: the signer's full name (personal signature).
    signer_image: PNG/JPEG of the handwritten signature; drawn from the name when None.
    number_symbol: number and symbol of the document, e.g. "15/QĐ-UBND" (agency signature).
    signing_time: shown in ISO 8601 on copies; defaults to now.
    page: page index (negative from the end); None = last page for a personal signature, first
        page for an agency signature on a copy. An agency seal goes on the page of the personal
        signature it overlaps.
    competence: the line above the title, e.g. "TM. ỦY BAN NHÂN DÂN" or "KT. CHỦ TỊCH".
    box: (x1, y1, x2, y2) in PDF points for a personal signature; default: right half, just
        below the last line of text of the page (or at the bottom when there is no room).
    seal_image: the agency's seal (PNG, red, transparent); drawn from the agency name when None.
    placement: for an agency signature: "seal" over the personal signature, "corner" top-right
        (attachments, electronic copies), "auto" = "seal" when the PDF already carries a personal
        signature made here, else "corner".
    reason, location: stored in the signature dictionary (/Reason, /Location).
    """

    title: str = ""
    full_name: str = ""
    signer_image: bytes | None = None
    number_symbol: str | None = None
    signing_time: datetime | None = None
    page: int | None = None
    competence: str = ""
    box: tuple[float, float, float, float] | None = None
    seal_image: bytes | None = None
    placement: Placement = "auto"
    reason: str = ""
    location: str = ""


# --- fonts -------------------------------------------------------------------------------------


def font_path(style: str = "regular") -> str:
    configured = getattr(settings, "SIGNING_FONTS", {}) or {}
    if configured.get(style):
        return str(configured[style])
    for name in FONT_FILES[style]:
        for folder in FONT_DIRS:
            path = Path(folder) / name
            if path.is_file():
                return str(path)
    raise SigningError(
        "Máy chủ thiếu phông chữ tiếng Việt (fonts-noto-core hoặc fonts-dejavu-core).",
        code=SigningErrorCode.FONT_MISSING,
    )


# Vietnamese needs Basic Latin, Latin-1, Latin Extended-A/B, the combining diacritics and Latin
# Extended Additional (ạ ả ấ ầ ẩ ẫ ậ ... ỹ), plus punctuation and the đồng sign.
VIETNAMESE_RANGES = (
    *range(0x20, 0x7F),
    *range(0xA0, 0x250),
    *range(0x300, 0x370),
    *range(0x1E00, 0x1F00),
    *range(0x2000, 0x2070),
    0x20AB,
)


@lru_cache(maxsize=8)
def reduced_font(style: str) -> bytes:
    """The font cut down once per process to the Vietnamese Latin glyphs, without hinting and
    with only the kerning and mark-positioning features: pyHanko subsets it again for each
    signature, which takes a few milliseconds instead of most of a second for the full font."""
    font = ttLib.TTFont(font_path(style))
    options = ft_subset.Options()
    options.layout_features = ["kern", "mark", "mkmk", "ccmp"]
    options.hinting = False
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = ft_subset.Subsetter(options)
    subsetter.populate(unicodes=VIETNAMESE_RANGES)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@lru_cache(maxsize=32)
def _pil_font(style: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(style), size)


# --- images drawn with Pillow ------------------------------------------------------------------


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def load_image(data: bytes) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (OSError, ValueError) as exc:
        raise SigningError(
            "Ảnh chữ ký hoặc ảnh dấu không đọc được.", code=SigningErrorCode.IMAGE_INVALID
        ) from exc
    return img.convert("RGBA")


@lru_cache(maxsize=64)
def draw_signer_image(full_name: str, width: int = 600, height: int = 240) -> bytes:
    """A handwriting-like signature for `full_name` (blue ink, transparent background): the
    given name in a slanted italic serif with the initials of the other names and a flourish."""
    full_name = collapse_spaces(full_name) or "?"
    words = full_name.split(" ")
    text = words[-1] if len(words) == 1 else "".join(w[0] for w in words[:-1]) + ". " + words[-1]
    scale = 3  # draw larger, then shrink: smooth edges
    w, h = width * scale, height * scale
    size = int(h * 0.5)
    font = _pil_font("script", size)
    while font.getlength(text) > w * 0.82 and size > 20:
        size = int(size * 0.9)
        font = _pil_font("script", size)
    layer = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    ink = (*SIGNER_INK, 255)
    text_w = font.getlength(text)
    x0 = (w - text_w) / 2
    baseline = h * 0.62
    draw.text((x0, baseline), text, font=font, fill=ink, anchor="ls", stroke_width=scale)
    # a flourish under the name
    points = []
    for i in range(61):
        t = i / 60
        x = x0 - w * 0.03 + t * (text_w + w * 0.1)
        y = baseline + h * 0.1 + math.sin(t * math.pi * 1.15) * h * 0.09 - t * h * 0.12
        points.append((x, y))
    draw.line(points, fill=ink, width=3 * scale, joint="curve")
    # slant like handwriting
    layer = layer.transform(
        layer.size,
        Image.Transform.AFFINE,
        (1, 0.22, -0.22 * h / 2, 0, 1, 0),
        Image.Resampling.BICUBIC,
    )
    return _png(layer.resize((width, height), Image.Resampling.LANCZOS))


def _star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    pts = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return pts


@lru_cache(maxsize=64)
def draw_seal_image(agency_name: str, size: int = 600) -> bytes:
    """A round red seal: the agency name in capitals around the ring, a star in the centre."""
    text = collapse_spaces(agency_name).upper() or "?"
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    red = (*SEAL_RED, 235)
    c = size / 2
    outer = size / 2 - 6
    draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=red, width=int(size * 0.022))
    inner = size * 0.33
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=red, width=int(size * 0.008))
    draw.polygon(_star(c, c, size * 0.14), fill=red)

    # the name around the ring, starting lower left, clockwise over the top
    baseline_r = inner + size * 0.03
    font_size = int(size * 0.085)
    max_angle = math.radians(300)
    font = _pil_font("bold", font_size)
    while font.getlength(text) * 1.08 / baseline_r > max_angle and font_size > 8:
        font_size -= 1
        font = _pil_font("bold", font_size)
    advances = [font.getlength(ch) * 1.08 for ch in text]
    total = sum(advances) / baseline_r
    angle = -total / 2  # radians from the top, clockwise
    cell = font_size * 3
    for ch, adv in zip(text, advances, strict=True):
        mid = angle + adv / 2 / baseline_r
        glyph = Image.new("RGBA", (cell, cell), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((cell / 2, cell / 2), ch, font=font, fill=red, anchor="ms")
        glyph = glyph.rotate(-math.degrees(mid), resample=Image.Resampling.BICUBIC)
        gx = c + baseline_r * math.sin(mid) - cell / 2
        gy = c - baseline_r * math.cos(mid) - cell / 2
        img.alpha_composite(glyph, (round(gx), round(gy)))
        angle += adv / baseline_r
    # a small star at the bottom of the ring, between the two ends of the name
    draw.polygon(_star(c, c + (inner + outer) / 2, size * 0.035), fill=red)
    return _png(img)


def fit_image(data: bytes, aspect: float) -> Image.Image:
    """Pad (never crop) an image to the given width/height ratio, centred, transparent."""
    img = load_image(data)
    w, h = img.size
    if w / h < aspect:
        new_w, new_h = round(h * aspect), h
    else:
        new_w, new_h = w, round(w / aspect)
    canvas = Image.new("RGBA", (new_w, new_h), (0, 0, 0, 0))
    canvas.alpha_composite(img, ((new_w - w) // 2, (new_h - h) // 2))
    return canvas


# --- geometry shared by signing and the agency seal ---------------------------------------------

PERSONAL_BOX_SIZE = (210.0, 132.0)  # points: about 7.4 x 4.7 cm
LINE = 13.0  # leading of the title lines
TEXT_SIZE = 10.5
PAD = 4.0
IMAGE_ASPECT = 2.5
SEAL_DIAMETER = 96.0  # points: about 34 mm, a real seal's size
CORNER_BOX_SIZE = (230.0, 46.0)


def image_area(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Where the signer's image sits in a personal signature box (x1, y1, x2, y2)."""
    x1, y1, x2, y2 = box
    width = x2 - x1 - 2 * PAD
    height = width / IMAGE_ASPECT
    cy = (y1 + y2) / 2 - 2  # title lines above are a little taller than the name below
    return (x1 + PAD, cy - height / 2, x2 - PAD, cy + height / 2)


def seal_box(personal_box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The seal over the left third of the signer's image (its right edge at one third)."""
    ix1, iy1, ix2, iy2 = image_area(personal_box)
    right = ix1 + (ix2 - ix1) / 3
    cy = (iy1 + iy2) / 2
    d = SEAL_DIAMETER
    return (right - d, cy - d / 2, right, cy + d / 2)


# --- the pyHanko stamp ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DecreeStampStyle(BaseStampStyle):
    """pyHanko stamp style for the three Decree 30 appearances."""

    kind: Literal["personal", "seal", "corner"] = "personal"
    top_lines: tuple[str, ...] = ()
    name: str = ""
    image_png: bytes | None = None
    corner_lines: tuple[str, ...] = ()
    color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    border_width: int = 0
    background: Any = None

    def create_stamp(
        self, writer: BasePdfFileWriter, box: layout.BoxConstraints, text_params: dict[str, Any]
    ) -> DecreeStamp:
        return DecreeStamp(writer=writer, style=self, box=box)


class _Font:
    """One embedded TrueType subset, used for several lines."""

    def __init__(self, stamp: DecreeStamp, style: str, size: float, resource: str) -> None:
        writer = stamp.writer
        assert writer is not None
        self.engine = GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(reduced_font(style)),
            font_size=int(size),
            obj_stream=writer.prepare_object_stream() if writer.stream_xrefs else None,
        )
        self.size = size
        self.resource = resource
        stamp.set_resource(
            category=ResourceType.FONT,
            name=generic.NameObject("/" + resource),
            value=self.engine.as_resource(),
        )

    def width(self, text: str) -> float:
        text = nfc(text)
        return float(self.engine.shape(text).x_advance) * self.size

    def show(self, text: str, x: float, y: float, color: tuple[float, float, float]) -> bytes:
        ops = self.engine.shape(nfc(text)).graphics_ops
        return b"BT /%s %g Tf %g %g %g rg %g %g Td %s ET" % (
            self.resource.encode("ascii"),
            self.size,
            *color,
            x,
            y,
            ops,
        )

    def centred(
        self, text: str, width: float, y: float, color: tuple[float, float, float]
    ) -> bytes:
        size = self.size
        natural = self.width(text)
        if natural > width and natural > 0:  # shrink a line that would not fit
            self.size = size * width / natural
        try:
            return self.show(text, (width - self.width(text)) / 2, y, color)
        finally:
            self.size = size


class DecreeStamp(BaseStamp):
    style: DecreeStampStyle

    def _image(self, img: Image.Image, x: float, y: float, w: float, h: float, name: str) -> bytes:
        assert self.writer is not None
        ref = pil_image(img, self.writer)
        self.set_resource(
            category=ResourceType.XOBJECT, name=generic.NameObject("/" + name), value=ref
        )
        return b"q %g 0 0 %g %g %g cm /%s Do Q" % (w, h, x, y, name.encode("ascii"))

    def _render_inner_content(self) -> list[bytes]:
        kind = self.style.kind
        if kind == "personal":
            return self._personal()
        if kind == "seal":
            return self._seal()
        return self._corner()

    def _personal(self) -> list[bytes]:
        style = self.style
        width, height = self.box.width, self.box.height
        bold = _Font(self, "serif_bold", TEXT_SIZE, "FB")
        ops: list[bytes] = []
        y = height - PAD - TEXT_SIZE
        for line in style.top_lines:
            ops.append(bold.centred(line, width - 2 * PAD, y, style.color))
            y -= LINE
        ops.append(bold.centred(style.name, width - 2 * PAD, PAD + 3, style.color))
        result = [b"q 1 0 0 1 %g 0 cm" % PAD, *ops, b"Q"]
        if style.image_png:
            ix1, iy1, ix2, iy2 = image_area((0, 0, width, height))
            img = fit_image(style.image_png, IMAGE_ASPECT)
            result.append(self._image(img, ix1, iy1, ix2 - ix1, iy2 - iy1, "ImSigner"))
        return result

    def _seal(self) -> list[bytes]:
        assert self.style.image_png is not None
        img = load_image(self.style.image_png)
        return [self._image(img, 0, 0, self.box.width, self.box.height, "ImSeal")]

    def _corner(self) -> list[bytes]:
        style = self.style
        width, height = self.box.width, self.box.height
        lines = style.corner_lines
        size = 7.5
        first = _Font(self, "bold", size, "FB")
        rest = _Font(self, "regular", size, "FR")
        ops = [b"q %g %g %g RG 0.8 w 1 1 %g %g re S Q" % (*style.color, width - 2, height - 2)]
        lead = (height - 2 * PAD) / max(len(lines), 1)
        y = height - PAD - size
        for i, line in enumerate(lines):
            font = first if i == 0 else rest
            ops.append(
                b"q 1 0 0 1 %g 0 cm %s Q"
                % (PAD, font.centred(line, width - 2 * PAD, y, style.color))
            )
            y -= lead
        return ops
