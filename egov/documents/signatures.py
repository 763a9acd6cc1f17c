"""The signatures of an outgoing document, through the signing app (egov.signing):

1. the leader's personal signature (title, signature image, name) on the last page;
2. the clerk numbers the document: the number/symbol and the date of issue fill the fields the
   signed copy carries in its body (pdffields.py), then the agency's signature goes over the
   left third of the leader's signature image (Decree 30, main document). A PDF without those
   fields (an uploaded file) also gets the top-right box of page 1 with the number/symbol and
   the ISO-8601 signing time, the only place its number shows;
3. PDF attachments get the agency's top-right signature with number/symbol and time (Decree 30,
   documents attached to the main one).

Certificate problems (missing, expired, revoked) come back as the signing app's SigningError,
a DomainError with a Vietnamese message.
"""

from __future__ import annotations

from datetime import datetime

from egov.org.models import Agency, Official

from .render import title_lines


def sign_personal(
    pdf: bytes,
    official: Official,
    *,
    title: str,
    full_name: str,
    at: datetime,
    box: tuple[float, float, float, float] | None = None,
) -> bytes:
    from egov.signing.services import Appearance, identity_for_official, sign_pdf

    identity = identity_for_official(official)
    lines = title_lines(title)
    appearance = Appearance(
        competence=" ".join(lines[:-1]),
        title=lines[-1] if lines else "",
        full_name=full_name,
        signing_time=at,
        box=box,
        reason="Ký ban hành văn bản",
    )
    return sign_pdf(pdf, identity=identity, role="personal", appearance=appearance)


def sign_agency(
    pdf: bytes, agency: Agency, *, number_symbol: str, at: datetime, corner: bool = True
) -> bytes:
    """The issued document: the seal over the leader's signature, then (`corner`) the box with
    the number/symbol and time, for a document whose body could not show its number."""
    from egov.signing.services import Appearance, identity_for_agency, sign_pdf

    identity = identity_for_agency(agency)
    sealed = sign_pdf(
        pdf,
        identity=identity,
        role="agency",
        appearance=Appearance(
            title=agency.name, number_symbol=number_symbol, signing_time=at, placement="seal"
        ),
    )
    if not corner:
        return sealed
    return sign_attachment(sealed, agency, number_symbol=number_symbol, at=at)


def sign_attachment(pdf: bytes, agency: Agency, *, number_symbol: str, at: datetime) -> bytes:
    from egov.signing.services import Appearance, identity_for_agency, sign_pdf

    return sign_pdf(
        pdf,
        identity=identity_for_agency(agency),
        role="agency",
        appearance=Appearance(
            title=agency.name,
            number_symbol=number_symbol,
            signing_time=at,
            placement="corner",
            page=0,
        ),
    )
