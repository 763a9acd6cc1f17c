"""DRF parsers that NFC-normalise every parsed string (see egov.core.text).

They keep DRF's class names so that a view lists them as it would list DRF's own:
`from egov.core.parsers import FormParser, JSONParser, MultiPartParser`. They are also the
REST_FRAMEWORK DEFAULT_PARSER_CLASSES; a test checks that no API view uses another parser.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from .text import TooDeep, normalize_data, normalize_querydict

TOO_DEEP = "Dữ liệu gửi lên lồng nhau quá nhiều cấp."


class NormalizingParser:
    """Marker for the checks: this parser returns NFC text."""


class JSONParser(NormalizingParser, parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:  # the json module's own limit, before ours
            raise ParseError(TOO_DEEP) from exc
        try:
            return normalize_data(data)
        except TooDeep as exc:
            raise ParseError(TOO_DEEP) from exc


class FormParser(NormalizingParser, parsers.FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        return normalize_querydict(data) if isinstance(data, QueryDict) else data


class MultiPartParser(NormalizingParser, parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        result = super().parse(stream, media_type, parser_context)
        return parsers.DataAndFiles(normalize_querydict(result.data), result.files)
