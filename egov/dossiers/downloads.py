"""A dossier's stored file handed to a person allowed to see it (the caller checked that)."""

from __future__ import annotations

from django.http import FileResponse

from .models import DossierFile


def file_download(row: DossierFile) -> FileResponse:
    """Always a download, never shown inline: the file is data, not a page of this site; never
    kept by a shared cache, since it is one applicant's."""
    response = FileResponse(
        row.file.open("rb"),
        as_attachment=True,
        filename=row.original_name,
        content_type=row.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
