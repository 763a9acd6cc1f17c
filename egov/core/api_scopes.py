"""The API scopes every app declares in its own `api_scopes.py` (as Open Zaak's per-component
scopes), collected in one registry: `require_scope`, the API-client form and create_api_client
read it, and a scope declared twice fails at import time.

    # egov/<app>/api_scopes.py
    from egov.core.api_scopes import declare_scope

    READ = declare_scope("catalog:read", "Đọc danh mục thủ tục hành chính")
"""

from __future__ import annotations

from django.utils.module_loading import autodiscover_modules

from .registry import Registry

SCOPES: Registry[str, str] = Registry("API scope")
_discovered = False


def declare_scope(scope: str, description: str) -> str:
    SCOPES.register(scope, description)
    return scope


def discover() -> None:
    """Import every installed app's `api_scopes` module (once; CoreConfig.ready calls it)."""
    global _discovered
    if not _discovered:
        autodiscover_modules("api_scopes")
        _discovered = True


def api_scopes() -> dict[str, str]:
    """Every declared scope → its description, in declaration order."""
    discover()
    return dict(SCOPES.items())


def is_declared(scope: str) -> bool:
    discover()
    return scope in SCOPES
