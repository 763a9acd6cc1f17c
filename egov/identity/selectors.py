"""What the rest of the platform reads of an account's electronic identity: the level the
provider last asserted and the claims it verified (the portal's forms prefill and mark these)."""

from __future__ import annotations

from typing import Any

from .models import IdentityLink

# The claims' normalised names (the provider adapter maps its own onto these).
CLAIM_NAMES = (
    "personal_id",
    "full_name",
    "birth_date",  # ISO yyyy-mm-dd
    "gender",
    "nationality",
    "phone",
    "email",
    "address",  # permanent residence
    "current_address",
)


def link_of(user: Any) -> IdentityLink | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return IdentityLink.objects.filter(user=user).order_by("-last_login_at").first()


def level_of(user: Any) -> int:
    """The identity level (1 or 2) last asserted for this account; 0 without any link."""
    link = link_of(user)
    return int(link.level) if link is not None else 0


def verified_claims(user: Any) -> dict[str, str]:
    """The verified claims under their normalised names (only those present, as strings)."""
    link = link_of(user)
    if link is None:
        return {}
    claims = link.claims or {}
    return {name: str(claims[name]) for name in CLAIM_NAMES if claims.get(name) not in (None, "")}
