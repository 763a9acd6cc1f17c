"""The number/symbol and the date of a document in its body, at the places Decree 30/2020/NĐ-CP
gives them (Appendix I: "Số, ký hiệu" under the agency's name, "địa danh, ngày … tháng … năm …"
under the national motto), although the clerk numbers it after the leader has signed.

The copy the leader signs carries two text form fields in those places, showing the blanks a
paper draft has ("Số:      /QĐ-STP", "ngày    tháng    năm 2026"). When the clerk numbers the
document, the fields are filled (value and appearance, in an incremental update) with the number
and the date of issue, and the agency's signature then covers them. Filling a form field is a
change a signature allows (PDF 32000-1 §12.8.2.2, pyHanko's FORM_FILLING level), so the leader's
signature stays valid, and the number and date are real text in the signed PDF, where readers
and text extraction (pdftotext) find them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader

from egov.core.text import nfc

NUMBER_FIELD = "SoKyHieu"
DATE_FIELD = "NgayBanHanh"
FIELDS = (NUMBER_FIELD, DATE_FIELD)

FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/dejavu")
FONTS = {
    "regular": ("NotoSerif-Regular.ttf", "DejaVuSerif.ttf", "NotoSans-Regular.ttf"),
    "italic": ("NotoSerif-Italic.ttf", "DejaVuSerif-Italic.ttf", "NotoSans-Italic.ttf"),
}
READ_ONLY = 1  # form field flag (/Ff bit 1)
PRINT = 4  # annotation flag: printed with the page


def issue_date_text(day: date) -> str:
    """ "ngày 03 tháng 12 năm 2026" (Decree 30, Appendix I: a leading zero for days below 10
    and for the months January and February)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def blank_date_text(year: int) -> str:
    gap = "\u2003\u2003"
    return f"ngày{gap}tháng{gap}năm {year}"


@dataclass(frozen=True)
class Slot:
    """A field's place: page index, rectangle (x1, y1, x2, y2) in PDF points, its text at first
    (the blanks), the font style and size of the body text around it."""

    name: str
    page: int
    rect: tuple[float, float, float, float]
    text: str
    style: str = "regular"
    size: float = 13.0


@lru_cache(maxsize=4)
def _font_bytes(style: str) -> bytes:
    """The body's serif font cut down to the Vietnamese Latin letters (pyHanko subsets it again
    for the glyphs used)."""
    from fontTools import subset as ft_subset  # type: ignore[import-untyped, unused-ignore]
    from fontTools import ttLib  # type: ignore[import-untyped, unused-ignore]

    from egov.signing.appearance import VIETNAMESE_RANGES

    path = next(
        (
            Path(folder) / name
            for name in FONTS[style]
            for folder in FONT_DIRS
            if (Path(folder) / name).is_file()
        ),
        None,
    )
    if path is None:
        raise RuntimeError("no Vietnamese serif font (fonts-noto-core or fonts-dejavu-core)")
    font = ttLib.TTFont(str(path))
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


def _appearance(writer: IncrementalPdfFileWriter, slot: Slot, text: str) -> generic.IndirectObject:
    """A form XObject drawing `text` left-aligned on the slot's baseline, in black."""
    engine = GlyphAccumulator(
        writer=writer, font_handle=io.BytesIO(_font_bytes(slot.style)), font_size=int(slot.size)
    )
    x1, y1, x2, y2 = slot.rect
    width, height = x2 - x1, y2 - y1
    size = slot.size
    shaped = engine.shape(nfc(text))
    natural = float(shaped.x_advance) * size
    if natural > width > 0:  # never spill over the line: shrink a text that would not fit
        size = size * width / natural
    # The box reaches 0.3 em below the baseline of the text around it (the template's
    # vertical-align), whatever size the text is shrunk to.
    baseline = max(1.0, slot.size * 0.3)
    ops = b"/Tx BMC q BT /F1 %g Tf 0 0 0 rg 0 %g Td %s ET Q EMC" % (
        size,
        baseline,
        shaped.graphics_ops,
    )
    stream = generic.StreamObject(
        {
            generic.NameObject("/Type"): generic.NameObject("/XObject"),
            generic.NameObject("/Subtype"): generic.NameObject("/Form"),
            generic.NameObject("/BBox"): generic.ArrayObject(
                [generic.FloatObject(round(v, 2)) for v in (0, 0, width, height)]
            ),
            generic.NameObject("/Resources"): generic.DictionaryObject(
                {
                    generic.NameObject("/Font"): generic.DictionaryObject(
                        {generic.NameObject("/F1"): engine.as_resource()}
                    )
                }
            ),
        },
        stream_data=ops,
    )
    return writer.add_object(stream)


def add_fields(pdf: bytes, slots: list[Slot]) -> bytes:
    """The copy for signing: `pdf` with one read-only text field per slot, showing its blanks."""
    if not slots:
        return pdf
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    root = writer.root
    form = root.get("/AcroForm")
    if form is None:
        form = generic.DictionaryObject({generic.NameObject("/Fields"): generic.ArrayObject()})
        root[generic.NameObject("/AcroForm")] = writer.add_object(form)
        writer.update_root()
    else:
        form = form.get_object()
    fields = form["/Fields"]
    for slot in slots:
        page_ref = writer.find_page_for_modification(slot.page)[0]
        page = page_ref.get_object()
        widget = generic.DictionaryObject(
            {
                generic.NameObject("/Type"): generic.NameObject("/Annot"),
                generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
                generic.NameObject("/FT"): generic.NameObject("/Tx"),
                generic.NameObject("/T"): generic.TextStringObject(slot.name),
                generic.NameObject("/Ff"): generic.NumberObject(READ_ONLY),
                generic.NameObject("/F"): generic.NumberObject(PRINT),
                generic.NameObject("/V"): generic.TextStringObject(""),
                generic.NameObject("/DA"): generic.TextStringObject("/F1 13 Tf 0 g"),
                generic.NameObject("/Rect"): generic.ArrayObject(
                    [generic.FloatObject(round(v, 2)) for v in slot.rect]
                ),
                generic.NameObject("/P"): page_ref,
            }
        )
        widget_ref = writer.add_object(widget)
        widget[generic.NameObject("/AP")] = generic.DictionaryObject(
            {generic.NameObject("/N"): _appearance(writer, slot, slot.text)}
        )
        annots = page.get("/Annots")
        if annots is None:
            page[generic.NameObject("/Annots")] = generic.ArrayObject([widget_ref])
        else:
            annots.get_object().append(widget_ref)
        writer.update_container(page)
        fields.append(widget_ref)
    writer.update_container(form)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def field_slots(pdf: bytes) -> dict[str, Slot]:
    """The number and date fields a PDF carries (empty for a PDF not made for signing here)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    found: dict[str, Slot] = {}
    form = reader.root.get("/AcroForm")
    if form is None:
        return found
    pages = {page.idnum: index for index, page in enumerate(_page_refs(reader))}
    for ref in form.get_object().get("/Fields", []):
        field = ref.get_object()
        name = str(field.get("/T", ""))
        if name not in FIELDS:
            continue
        page_ref = field.get("/P")
        page = pages.get(page_ref.idnum, 0) if page_ref is not None else 0
        rect = tuple(float(v) for v in field["/Rect"])
        found[name] = Slot(
            name=name,
            page=page,
            rect=(rect[0], rect[1], rect[2], rect[3]),
            text="",
            style="italic" if name == DATE_FIELD else "regular",
        )
    return found


def _page_refs(reader: PdfFileReader) -> list[generic.Reference]:
    refs: list[generic.Reference] = []

    def walk(node: generic.DictionaryObject) -> None:
        for kid in node["/Kids"]:
            obj = kid.get_object()
            if obj.get("/Type") == "/Pages":
                walk(obj)
            else:
                refs.append(kid.reference)

    walk(reader.root["/Pages"])
    return refs


def fill_fields(pdf: bytes, values: dict[str, str]) -> bytes:
    """`pdf` with its number/date fields filled with `values` (value and appearance), as an
    incremental update that leaves earlier signatures intact. Fields it lacks are skipped."""
    slots = field_slots(pdf)
    wanted = {name: text for name, text in values.items() if name in slots and text}
    if not wanted:
        return pdf
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    form = writer.root["/AcroForm"].get_object()
    for ref in form.get("/Fields", []):
        field = ref.get_object()
        name = str(field.get("/T", ""))
        if name not in wanted:
            continue
        field[generic.NameObject("/V")] = generic.TextStringObject(wanted[name])
        field[generic.NameObject("/AP")] = generic.DictionaryObject(
            {generic.NameObject("/N"): _appearance(writer, slots[name], wanted[name])}
        )
        writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
