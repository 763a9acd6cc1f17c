"""The codes the procedure catalogue's services and API answer with (egov.core.error_codes)."""

from __future__ import annotations

from egov.core.error_codes import ErrorCode


class CatalogErrorCode(ErrorCode):
    CATALOG_INVALID = "catalog_invalid"
    CATALOG_IN_USE = "catalog_in_use"
    CATALOG_IMPORT_INVALID = "catalog_import_invalid"
