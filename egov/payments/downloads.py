"""Stored payment files (receipts) sent to a browser or an API client: always a download, never
kept by a shared cache (they carry one person's payment)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404


def file_response(field: Any, filename: str, content_type: str) -> FileResponse:
    """The stored file streamed; 404 when it is missing (never a half answer)."""
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response
