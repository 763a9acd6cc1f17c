"""Meeting materials pages: the list and the organisers' management (`materials`), the reader
(`material`: page images, history, the member's private notes beside the page), page images
(`material_page`) and the download (`material_file`, streamed).

Every request finds the material once through the scopes (scopes.material_visible): a material
the official may not read is not found (404), whether it exists or not. Views never change
state: each form calls one service and shows its DomainError on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from egov.core.actors import Actor
from egov.core.errors import DomainError
from egov.core.ids import parse_id
from egov.core.middleware import allow_request_bytes
from egov.core.scoping import visible_to
from egov.core.text import normalize_vietnamese
from egov.core.uploads import LABELS
from egov.documents.models import IncomingDocument, OutgoingDocument
from egov.org.models import Official

from .. import access, reader
from ..cases import MEETING
from ..models import Annotation, Material, MaterialVersion, Meeting, Participant
from ..services import materials as service
from .common import meeting_for

MB = 1024 * 1024
ACCEPT = ".pdf,.docx,.xlsx,.pptx,.odt,.ods,.odp"
PICKER_SIZE = 100


# --- forms ---------------------------------------------------------------------------------------


def _file_help() -> str:
    return (
        "PDF hoặc tài liệu văn phòng (DOCX, XLSX, PPTX, ODT, ODS, ODP), tối đa "
        f"{service.max_material_bytes() // MB} MB."
    )


class _MaterialForm(forms.Form):
    """What an upload and an attached document share: title, item, confidentiality."""

    title = forms.CharField(label="Tên tài liệu", max_length=300, required=False)
    item: Any = forms.ModelChoiceField(
        label="Thuộc nội dung họp",
        queryset=None,
        required=False,
        empty_label="Tài liệu chung của cuộc họp",
    )
    confidential = forms.BooleanField(
        label="Tài liệu mật: chỉ người được chọn dưới đây xem được",
        required=False,
        help_text="Chủ trì, thư ký và văn phòng luôn xem được tài liệu mật.",
    )
    readers: Any = forms.ModelMultipleChoiceField(
        label="Người được xem tài liệu mật",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item_field: Any = self.fields["item"]
        item_field.queryset = meeting.items.all()
        invited = Participant.objects.filter(meeting=meeting).exclude(
            official_id__in=[meeting.chair_id, meeting.secretary_id]
        )
        readers: Any = self.fields["readers"]
        readers.queryset = (
            Official.objects.filter(
                Q(pk__in=invited.values("official_id")) | Q(pk__in=invited.values("delegate_id"))
            )
            .select_related("user")
            .order_by("user__first_name", "pk")
        )
        readers.label_from_instance = lambda o: o.user.get_full_name() or o.user.username


class UploadForm(_MaterialForm):
    file = forms.FileField(
        label="Tệp tài liệu", widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _file_help()
        self.fields["title"].help_text = "Để trống: dùng tên tệp."
        self.order_fields(["file", "title", "item", "confidential", "readers"])


class DocumentForm(_MaterialForm):
    document = forms.ChoiceField(label="Văn bản của cơ quan")

    def __init__(self, *args: Any, choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        document: Any = self.fields["document"]
        document.choices = [("", "— Chọn văn bản —"), *choices]
        self.fields["title"].help_text = "Để trống: dùng trích yếu của văn bản."
        self.order_fields(["document", "title", "item", "confidential", "readers"])


class VersionForm(forms.Form):
    file = forms.FileField(
        label="Tệp phiên bản mới", widget=forms.ClearableFileInput(attrs={"accept": ACCEPT})
    )
    note = forms.CharField(label="Thay đổi so với phiên bản trước", max_length=500, required=False)

    prefix = "phien-ban"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _file_help()


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Ghi chú của tôi",
        max_length=service.MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _show_error(form: forms.Form, error: DomainError) -> None:
    """The service's refusal on the field it names (else on the form)."""
    placed = False
    for field, problems in (error.fields or {}).items():
        if field in form.fields:
            for problem in problems if isinstance(problems, list) else [problems]:
                form.add_error(field, str(problem))
            placed = True
    if not placed:
        form.add_error(None, error.message)


# --- finding what the official may read ----------------------------------------------------------


def _material(actor: Actor, meeting: Meeting, mid: int) -> Material:
    found = (
        visible_to(actor, Material.objects.select_related("current_version", "item"))
        .filter(pk=mid, meeting=meeting)
        .first()
    )
    if found is None:
        raise Http404("Không tìm thấy tài liệu họp.")
    return found


def _version(material: Material, raw: Any) -> MaterialVersion:
    seq = parse_id(raw) if raw not in (None, "") else None
    if seq is None:
        if material.current_version is None:
            raise Http404("Tài liệu chưa có tệp.")
        return material.current_version
    version = material.versions.filter(seq=seq).first()
    if version is None:
        raise Http404("Không có phiên bản này.")
    return version


def size_label(size: int) -> str:
    """A file size as people read it (Vietnamese decimal comma)."""
    if size >= MB:
        return f"{size / MB:.1f} MB".replace(".", ",")
    return f"{max(1, round(size / 1024))} KB"


def type_label(version: MaterialVersion) -> str:
    return LABELS.get(version.content_type, "tệp")


def _manages(meeting: Meeting, roles: frozenset[str]) -> bool:
    sources = MEETING.transition("add_material").sources
    return access.ORGANISER in roles and meeting.status in sources


# --- the list and its management -----------------------------------------------------------------


def _document_choices(actor: Actor, meeting: Meeting, query: str) -> list[Any]:
    """The picker: the agency's issued outgoing and incoming documents the organiser may see,
    newest first (a search narrows them)."""
    outgoing = visible_to(actor, OutgoingDocument.objects.all()).filter(
        agency_id=meeting.agency_id, status__in=service.ATTACHABLE_OUTGOING
    )
    incoming = (
        visible_to(actor, IncomingDocument.objects.all())
        .filter(agency_id=meeting.agency_id)
        .exclude(status__in=service.NOT_ATTACHABLE_INCOMING)
    )
    words = normalize_vietnamese(query).split()
    for word in words:
        outgoing = outgoing.filter(search_text__contains=word)
        incoming = incoming.filter(search_text__contains=word)
    out = [
        (f"di-{d.pk}", f"{d.symbol or 'Chưa có số'} — {d.subject[:120]}")
        for d in outgoing.order_by("-issued_at", "-pk")[:PICKER_SIZE]
    ]
    inc = [
        (f"den-{d.pk}", f"{d.symbol or d.document_id} — {d.subject[:120]}")
        for d in incoming.order_by("-received_at", "-pk")[:PICKER_SIZE]
    ]
    choices: list[Any] = []
    if out:
        choices.append(("Văn bản đi đã ban hành", out))
    if inc:
        choices.append(("Văn bản đến", inc))
    return choices


def _chosen_document(
    actor: Actor, value: str
) -> tuple[OutgoingDocument | None, IncomingDocument | None]:
    kind, _, raw = value.partition("-")
    pk = parse_id(raw)
    if kind == "di" and pk:
        return visible_to(actor, OutgoingDocument.objects.all()).filter(pk=pk).first(), None
    if kind == "den" and pk:
        return None, visible_to(actor, IncomingDocument.objects.all()).filter(pk=pk).first()
    return None, None


@allow_request_bytes(service.upload_request_bytes)
@login_required
def materials(request: HttpRequest, pk: int) -> HttpResponse:
    meeting, _official, actor, roles = meeting_for(request, pk)
    manages = _manages(meeting, roles)
    query = request.GET.get("tim", "").strip()[:200]
    upload_form: UploadForm | None = None
    document_form: DocumentForm | None = None
    if manages:
        choices = _document_choices(actor, meeting, query)
        posted = request.method == "POST"
        kind = request.POST.get("kind", "")
        upload_form = UploadForm(
            request.POST if posted and kind == "upload" else None,
            request.FILES if posted and kind == "upload" else None,
            meeting=meeting,
            prefix="tai-len",
        )
        document_form = DocumentForm(
            request.POST if posted and kind == "document" else None,
            meeting=meeting,
            choices=choices,
            prefix="van-ban",
        )
        if posted and kind == "upload" and upload_form.is_valid():
            data = upload_form.cleaned_data
            try:
                material = service.add_material(
                    actor=actor,
                    meeting=meeting,
                    title=data["title"],
                    upload=data["file"],
                    item=data["item"],
                    confidential=data["confidential"],
                    readers=data["readers"],
                )
            except DomainError as exc:
                _show_error(upload_form, exc)
            else:
                messages.success(request, f"Đã thêm tài liệu “{material.title}”.")
                return redirect("meetings:materials", pk=meeting.pk)
        if posted and kind == "document" and document_form.is_valid():
            data = document_form.cleaned_data
            outgoing, incoming = _chosen_document(actor, data["document"])
            try:
                if outgoing is None and incoming is None:
                    raise DomainError(
                        "Không tìm thấy văn bản đã chọn.",
                        fields={"document": ["Không tìm thấy văn bản đã chọn."]},
                    )
                material = service.add_material(
                    actor=actor,
                    meeting=meeting,
                    title=data["title"],
                    outgoing_document=outgoing,
                    incoming_document=incoming,
                    item=data["item"],
                    confidential=data["confidential"],
                    readers=data["readers"],
                )
            except DomainError as exc:
                exc.fields = {
                    ("document" if k.endswith("_document") else k): v for k, v in exc.fields.items()
                }
                _show_error(document_form, exc)
            else:
                messages.success(request, f"Đã đính kèm văn bản “{material.title}”.")
                return redirect("meetings:materials", pk=meeting.pk)
    elif request.method == "POST":
        raise Http404("Không có thao tác này.")
    rows = list(
        visible_to(
            actor,
            Material.objects.filter(meeting=meeting).select_related(
                "item", "current_version", "outgoing_document", "incoming_document"
            ),
        )
        .prefetch_related("readers__user")
        .order_by("withdrawn", "item__position", "pk")
    )
    for row in rows:
        if row.current_version is not None:
            row.current_version.size_label = size_label(row.current_version.size)  # type: ignore[attr-defined]
    return render(
        request,
        "meetings/materials.html",
        {
            "meeting": meeting,
            "rows": rows,
            "manages": manages,
            "upload_form": upload_form,
            "document_form": document_form,
            "query": query,
            "max_mb": service.max_material_bytes() // MB,
            "accept": ACCEPT,
            "forms_with_errors": [f for f in (upload_form, document_form) if f and f.errors],
        },
    )


@allow_request_bytes(service.upload_request_bytes)
@login_required
@require_POST
def material_new_version(request: HttpRequest, pk: int, mid: int) -> HttpResponse:
    meeting, _official, actor, roles = meeting_for(request, pk)
    material = _material(actor, meeting, mid)
    if not _manages(meeting, roles):
        raise Http404("Không có thao tác này.")
    form = VersionForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            service.add_version(
                actor=actor,
                material=material,
                upload=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            _show_error(form, exc)
        else:
            messages.success(request, f"Đã thêm phiên bản mới của “{material.title}”.")
            return redirect("meetings:materials", pk=meeting.pk)
    problems = [str(e) for errors in form.errors.values() for e in errors]
    messages.error(request, f"Chưa thêm được phiên bản mới: {' '.join(problems)}")
    return redirect("meetings:materials", pk=meeting.pk)


@login_required
@require_POST
def material_withdraw(request: HttpRequest, pk: int, mid: int) -> HttpResponse:
    meeting, _official, actor, _roles = meeting_for(request, pk)
    material = _material(actor, meeting, mid)
    try:
        service.withdraw_material(actor=actor, material=material)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Đã rút tài liệu “{material.title}”.")
    return redirect("meetings:materials", pk=meeting.pk)


# --- reading -------------------------------------------------------------------------------------


def _page_number(raw: Any, pages: int | None) -> int:
    number = parse_id(raw) or 1
    return min(number, pages) if pages else 1


def _notes_context(
    official: Official,
    material: Material,
    version: MaterialVersion,
    page: int,
    *,
    form: NoteForm | None = None,
    editing: int | None = None,
    edit_form: NoteForm | None = None,
) -> dict[str, Any]:
    mine = Annotation.objects.filter(official=official, material=material)
    on_version = mine.filter(version=version)
    return {
        "notes": list(on_version.filter(page=page).order_by("pk")),
        "noted_pages": sorted(set(on_version.values_list("page", flat=True))),
        "other_versions": mine.exclude(version=version).count(),
        "note_form": form or NoteForm(),
        "editing": editing,
        "edit_form": edit_form,
        "page": page,
        "version": version,
        "material": material,
    }


@login_required
def material(request: HttpRequest, pk: int, mid: int) -> HttpResponse:
    meeting, official, actor, roles = meeting_for(request, pk)
    found = _material(actor, meeting, mid)
    version = _version(found, request.GET.get("phien-ban"))
    pages = reader.page_count(version)
    can_draw = reader.can_draw()
    readable = can_draw and pages is not None and reader.readable(version)
    page = _page_number(request.GET.get("trang"), pages)
    # Editing a note without JavaScript: ?sua=<note> opens its form in the panel.
    editing = parse_id(request.GET.get("sua", ""))
    note = (
        Annotation.objects.filter(pk=editing, official=official, material=found).first()
        if editing
        else None
    )
    edit_form = NoteForm(initial={"text": note.text}) if note else None
    context = {
        "meeting": meeting,
        "material": found,
        "version": version,
        "is_current": version.pk == found.current_version_id,
        "versions": list(found.versions.select_related("created_by__user").order_by("-seq")),
        "pages": pages,
        "page": page,
        "page_numbers": range(1, (pages or 1) + 1),
        "readable": readable,
        "can_draw": can_draw,
        "is_office": version.content_type in service.OFFICE_TYPES,
        "can_convert": reader.can_convert(),
        "type_label": type_label(version),
        "size_label": size_label(version.size),
        "manages": _manages(meeting, roles),
        **_notes_context(
            official,
            found,
            version,
            page,
            editing=note.pk if note else None,
            edit_form=edit_form,
        ),
    }
    return render(request, "meetings/material.html", context)


@login_required
def material_page(request: HttpRequest, pk: int, mid: int, seq: int, page: int) -> FileResponse:
    """One page as a PNG (drawn once per version and page, then from the cache)."""
    meeting, _official, actor, _roles = meeting_for(request, pk)
    found = _material(actor, meeting, mid)
    version = _version(found, seq)
    pages = reader.page_count(version)
    if not pages or not 1 <= page <= pages:
        raise Http404("Không có trang này.")
    image = reader.page_image(version, page)
    if image is None:
        raise Http404("Không vẽ được trang này.")
    response = FileResponse(image.open("rb"), content_type="image/png")
    # The bytes of a version's page never change; only this browser keeps them.
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def material_file(request: HttpRequest, pk: int, mid: int) -> FileResponse:
    """The download, streamed from storage (never read whole into memory)."""
    meeting, _official, actor, _roles = meeting_for(request, pk)
    found = _material(actor, meeting, mid)
    version = _version(found, request.GET.get("phien-ban"))
    try:
        handle = version.file.open("rb")
    except OSError as exc:
        raise Http404("Không tìm thấy tệp.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=version.original_name or "tai-lieu",
        content_type=version.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- private notes (htmx beside the page; plain forms without JavaScript) ------------------------


def _notes_response(
    request: HttpRequest,
    meeting: Meeting,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    if request.headers.get("HX-Request"):
        return render(
            request,
            "meetings/_material_notes.html",
            {"meeting": meeting, **context},
            status=status,
        )
    url = reverse("meetings:material", args=[meeting.pk, context["material"].pk])
    if status != 200:
        problems = [
            str(problem)
            for form in (context.get("edit_form"), context["note_form"])
            if form is not None
            for errors in form.errors.values()
            for problem in errors
        ]
        messages.error(request, "Chưa lưu được ghi chú: " + " ".join(problems))
    version = context["version"]
    return redirect(f"{url}?phien-ban={version.seq}&trang={context['page']}#ghi-chu")


def _posted_page(request: HttpRequest) -> int:
    return parse_id(request.POST.get("page", "")) or 1


@login_required
@require_POST
def material_notes(request: HttpRequest, pk: int, mid: int) -> HttpResponse:
    """Add a note on a page of the current version."""
    meeting, official, actor, _roles = meeting_for(request, pk)
    found = _material(actor, meeting, mid)
    version = _version(found, None)
    page = _posted_page(request)
    form = NoteForm(request.POST)
    status = 200
    if form.is_valid():
        try:
            service.save_annotation(
                actor=actor, material=found, page=page, text=form.cleaned_data["text"]
            )
        except DomainError as exc:
            _show_error(form, exc)
            status = 400
        else:
            form = NoteForm()
    else:
        status = 400
    pages = reader.page_count(version)
    page = _page_number(page, pages)
    context = _notes_context(official, found, version, page, form=form)
    return _notes_response(request, meeting, context, status=status)


def _own_note(official: Official, material: Material, aid: int) -> Annotation:
    note = (
        Annotation.objects.select_related("version")
        .filter(pk=aid, official=official, material=material)
        .first()
    )
    if note is None:
        raise Http404("Không tìm thấy ghi chú.")
    return note


@login_required
def material_note(request: HttpRequest, pk: int, mid: int, aid: int) -> HttpResponse:
    """GET: the note's edit form in the panel; POST: save it."""
    meeting, official, actor, _roles = meeting_for(request, pk)
    found = _material(actor, meeting, mid)
    note = _own_note(official, found, aid)
    status = 200
    if request.method == "POST":
        form = NoteForm(request.POST)
        if form.is_valid():
            try:
                service.save_annotation(
                    actor=actor,
                    material=found,
                    page=note.page,
                    text=form.cleaned_data["text"],
                    annotation=note,
                )
            except DomainError as exc:
                _show_error(form, exc)
                status = 400
            else:
                context = _notes_context(official, found, note.version, note.page)
                return _notes_response(request, meeting, context)
        else:
            status = 400
        context = _notes_context(
            official, found, note.version, note.page, editing=note.pk, edit_form=form
        )
        return _notes_response(request, meeting, context, status=status)
    context = _notes_context(
        official,
        found,
        note.version,
        note.page,
        editing=note.pk,
        edit_form=NoteForm(initial={"text": note.text}),
    )
    if request.headers.get("HX-Request"):
        return render(request, "meetings/_material_notes.html", {"meeting": meeting, **context})
    url = reverse("meetings:material", args=[meeting.pk, found.pk])
    return redirect(f"{url}?phien-ban={note.version.seq}&trang={note.page}&sua={note.pk}#ghi-chu")


@login_required
@require_POST
def material_note_delete(request: HttpRequest, pk: int, mid: int, aid: int) -> HttpResponse:
    meeting, official, actor, _roles = meeting_for(request, pk)
    found = _material(actor, meeting, mid)
    note = _own_note(official, found, aid)
    try:
        service.delete_annotation(actor=actor, annotation=note)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    context = _notes_context(official, found, note.version, note.page)
    return _notes_response(request, meeting, context)


urlpatterns = [
    path("<id:pk>/tai-lieu/", materials, name="materials"),
    path("<id:pk>/tai-lieu/<id:mid>/", material, name="material"),
    path("<id:pk>/tai-lieu/<id:mid>/tep/", material_file, name="material_file"),
    path(
        "<id:pk>/tai-lieu/<id:mid>/phien-ban/<id:seq>/trang/<id:page>/",
        material_page,
        name="material_page",
    ),
    path(
        "<id:pk>/tai-lieu/<id:mid>/phien-ban-moi/",
        material_new_version,
        name="material_new_version",
    ),
    path("<id:pk>/tai-lieu/<id:mid>/rut/", material_withdraw, name="material_withdraw"),
    path("<id:pk>/tai-lieu/<id:mid>/ghi-chu/", material_notes, name="material_notes"),
    path("<id:pk>/tai-lieu/<id:mid>/ghi-chu/<id:aid>/", material_note, name="material_note"),
    path(
        "<id:pk>/tai-lieu/<id:mid>/ghi-chu/<id:aid>/xoa/",
        material_note_delete,
        name="material_note_delete",
    ),
]
