"""Blank form templates (mẫu đơn, tờ khai) a citizen can download, print and fill in by hand.

A dossier component may carry its official form as a file (PDF or DOCX), uploaded by an operator
in the administration and served by the portal under a safe name. For the starter catalogue the
templates are generated here as PDF (WeasyPrint, egov.core.pdfrender): the birth registration
declaration with the fields of the form annexed to Circular 04/2020/TT-BTP, the other forms laid
out from the fields of the component's online form, each citing the text its official form comes
from (civil status forms: Circular 04/2020/TT-BTP; otherwise the component's own reference or the
procedure's legal basis, and then marked as a reference layout).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction

from egov.core.actors import Actor
from egov.core.pdfrender import render_pdf
from egov.core.text import normalize_vietnamese
from egov.core.uploads import DOCX, PDF

from . import services
from .models import DossierComponent, Procedure

CIVIL_STATUS_SECTOR = "HT"
CIVIL_STATUS_CIRCULAR = "Thông tư số 04/2020/TT-BTP ngày 28/5/2020 của Bộ trưởng Bộ Tư pháp"
BIRTH_REGISTRATION = ("1.001193.000.00.00.H41", "to-khai")

# What the portal serves: the stored file's extension decides the content type.
CONTENT_TYPES = {".pdf": PDF, ".docx": DOCX}
_FORM_REF_RE = re.compile(r"\s*\((Mẫu[^)]*)\)\s*$")


@dataclass(frozen=True)
class FormSource:
    title: str  # the form's name without the "(Mẫu ...)" note
    citation: str  # the text the official form is annexed to
    official: bool  # False: a reference layout built from the online form's fields


def form_source(component: DossierComponent) -> FormSource:
    procedure = component.procedure
    match = _FORM_REF_RE.search(component.name)
    title = _FORM_REF_RE.sub("", component.name).strip()
    if procedure.sector.code == CIVIL_STATUS_SECTOR:
        return FormSource(title, f"Mẫu ban hành kèm theo {CIVIL_STATUS_CIRCULAR}", True)
    if match:
        return FormSource(title, match.group(1).replace("Mẫu theo", "Mẫu ban hành kèm theo"), True)
    basis = procedure.legal_basis.strip() or "căn cứ pháp lý của thủ tục"
    return FormSource(title, f"Mẫu chính thức theo: {basis}", False)


def download_name(component: DossierComponent) -> str:
    """ "to-khai-dang-ky-khai-sinh.pdf": ASCII, no path, the stored file's extension."""
    stem = re.sub(r"[^a-z0-9]+", "-", normalize_vietnamese(form_source(component).title))
    stem = stem.strip("-")[:80].rstrip("-") or "mau-don"
    return f"{stem}{template_extension(component)}"


def template_extension(component: DossierComponent) -> str:
    name = (component.form_template.name or "").lower()
    return next((ext for ext in CONTENT_TYPES if name.endswith(ext)), "")


def blank_form_pdf(component: DossierComponent) -> bytes:
    """The component's blank form as PDF."""
    source = form_source(component)
    fields = [f for f in (component.form_schema or {}).get("fields", []) if isinstance(f, dict)]
    template = (
        "catalog/pdf/birth_registration.html"
        if (component.procedure.code, component.code) == BIRTH_REGISTRATION
        else "catalog/pdf/form_template.html"
    )
    return render_pdf(
        template,
        {
            "procedure": component.procedure,
            "component": component,
            "source": source,
            "fields": fields,
        },
    )


def attach_generated_templates(
    *, actor: Actor, procedures: Iterable[Procedure] | None = None
) -> list[str]:
    """Give every online form of `procedures` (default: all) that has no template file a
    generated PDF one, through the catalogue's services (one catalog.components_set event per
    procedure). Returns "procedure code/component code" of each template added; templates an
    operator uploaded are kept."""
    added: list[str] = []
    qs = procedures if procedures is not None else Procedure.objects.all()
    for procedure in qs:
        components = list(procedure.components.order_by("order", "pk"))
        missing = [c for c in components if c.form_schema and not c.form_template]
        if not missing:
            continue
        specs = []
        for c in components:
            spec = services.component_spec(c)
            if c in missing:
                content = ContentFile(blank_form_pdf(c), name=f"{procedure.code}-{c.code}.pdf")
                spec = services.ComponentSpec(**{**spec.__dict__, "form_template": content})
                added.append(f"{procedure.code}/{c.code}")
            specs.append(spec)
        with transaction.atomic():
            services.set_components(actor=actor, procedure=procedure, components=specs)
    return added
