"""PDF documents of a dossier (rendered by egov.core.pdfrender)."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.utils import timezone

from egov.core.pdfrender import render_pdf

from .models import Dossier


def qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def receipt_pdf(dossier: Dossier, *, tracking_url: str) -> bytes:
    """Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""
    return render_pdf(
        "dossiers/pdf/receipt.html",
        {
            "dossier": dossier,
            "files": dossier.files.filter(kind="component").select_related("component"),
            "components": dossier.procedure.components.all(),
            "fees": dossier.procedure.fees.all(),
            "qr": qr_data_uri(tracking_url),
            "tracking_url": tracking_url,
            "printed_at": timezone.localtime(),
        },
    )
