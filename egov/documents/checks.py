"""System checks (manage.py check): what the operator must install for the documents pages to
work fully. Officials never see these messages; they get what they can do instead."""

from __future__ import annotations

import shutil
from typing import Any

from django.core.checks import Warning, register

from .files import can_convert_docx


@register()
def converters_installed(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    found: list[Warning] = []
    if not can_convert_docx():
        found.append(
            Warning(
                "LibreOffice (soffice) is not installed: DOCX drafts are not converted to PDF; "
                "officials are asked to upload a PDF before signing.",
                hint="Install LibreOffice (apt-get install libreoffice-writer-nogui) or set "
                "DOCUMENTS_SOFFICE to its soffice binary.",
                id="documents.W001",
            )
        )
    if shutil.which("pdftoppm") is None:
        found.append(
            Warning(
                "poppler-utils (pdftoppm) is not installed: the page preview before signing "
                "cannot be drawn; the leader gets the PDF to download instead.",
                hint="Install poppler-utils.",
                id="documents.W002",
            )
        )
    return found
