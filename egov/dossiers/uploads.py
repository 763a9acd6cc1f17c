"""What a dossier accepts as a paper: PDF, JPEG or PNG scans within the dossier size cap. The
checks themselves (type sniffing, PDF inspection, image caps) are egov.core.uploads."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from egov.core.uploads import JPEG, PDF, PNG, CheckedFile, UploadRules, check_upload

PAPERS = UploadRules(
    allowed=(PDF, JPEG, PNG),
    max_bytes=getattr(settings, "DOSSIER_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
    described="PDF, JPEG hoặc PNG",
    names={t: t for t in (PDF, JPEG, PNG)},
)


def check_paper(upload: Any, *, label: str) -> CheckedFile:
    """The checked paper or UploadRejected with a message naming it."""
    return check_upload(upload, rules=PAPERS, label=label)
