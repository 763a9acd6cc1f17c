"""Forms of the secretariat's pages. They only read what a person typed; the rules live in
services/meetings.py, whose MeetingError fields the views put back on these forms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet

from egov.core.ids import MAX_ID, IdChoiceField, parse_id
from egov.core.text import normalize_vietnamese
from egov.org.models import Official

from ..models import AgendaItem, DecisionRule, Meeting, Participant
from ..services import meetings as svc

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def _datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


class OfficialChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return official_label(obj)


def official_label(obj: Official) -> str:
    parts = [obj.user.get_full_name()]
    if obj.position is not None:
        parts.append(obj.position.name)
    if obj.unit is not None:
        parts.append(obj.unit.name)
    parts.append(obj.agency.name)
    return " — ".join(parts)


def agency_officials(agency_id: int) -> QuerySet[Official]:
    return (
        Official.objects.filter(agency_id=agency_id, user__is_active=True)
        .select_related("user", "position", "unit", "agency")
        .order_by("user__full_name", "pk")
    )


class VersionForm(forms.Form):
    """Every action posts the version its page showed: a stale page gets a conflict message."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=MAX_ID)


class MeetingForm(forms.Form):
    title = forms.CharField(
        label="Tên cuộc họp",
        max_length=svc.MAX_TITLE,
        widget=forms.TextInput(attrs={"maxlength": svc.MAX_TITLE}),
    )
    kind = forms.ChoiceField(
        label="Loại cuộc họp",
        choices=Meeting.Kind.choices,
        widget=forms.RadioSelect,
        initial=Meeting.Kind.REGULAR,
    )
    starts_at = forms.DateTimeField(
        label="Bắt đầu",
        input_formats=[DATETIME_FORMAT, "%d/%m/%Y %H:%M"],
        widget=_datetime_input(),
        help_text="Giờ Việt Nam, ví dụ 08:00 ngày 02/03/2026.",
    )
    ends_at = forms.DateTimeField(
        label="Kết thúc dự kiến",
        input_formats=[DATETIME_FORMAT, "%d/%m/%Y %H:%M"],
        widget=_datetime_input(),
    )
    place = forms.CharField(
        label="Địa điểm",
        required=False,
        max_length=svc.MAX_PLACE,
        widget=forms.TextInput(attrs={"maxlength": svc.MAX_PLACE}),
    )
    online_link = forms.CharField(
        label="Đường dẫn họp trực tuyến",
        required=False,
        max_length=svc.MAX_LINK,
        widget=forms.URLInput(attrs={"maxlength": svc.MAX_LINK}),
        help_text="Cho thành viên dự họp từ xa (https://...). Nhập địa điểm, đường dẫn hoặc "
        "cả hai.",
    )
    chair = OfficialChoiceField(label="Chủ trì", queryset=Official.objects.none())
    secretary = OfficialChoiceField(
        label="Thư ký cuộc họp", queryset=Official.objects.none(), required=False
    )
    rule = forms.ModelChoiceField(
        label="Quy tắc biểu quyết",
        queryset=DecisionRule.objects.filter(is_active=True),
        empty_label=None,
    )
    description = forms.CharField(
        label="Nội dung, yêu cầu chuẩn bị",
        required=False,
        max_length=svc.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": svc.MAX_DESCRIPTION}),
    )

    def __init__(self, *args: Any, agency_id: int, meeting: Meeting | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        people = agency_officials(agency_id)
        if meeting is not None:
            # The current chair and secretary stay choosable even from another agency.
            keep = [pk for pk in (meeting.chair_id, meeting.secretary_id) if pk]
            people = (
                (
                    Official.objects.filter(pk__in=people.values("pk"))
                    | Official.objects.filter(pk__in=keep)
                )
                .select_related("user", "position", "unit", "agency")
                .order_by("user__full_name")
            )
        self.fields["chair"].queryset = people  # type: ignore[attr-defined]
        self.fields["secretary"].queryset = people  # type: ignore[attr-defined]
        self.fields["secretary"].empty_label = "(chưa chọn)"  # type: ignore[attr-defined]
        if meeting is None:
            default = DecisionRule.objects.filter(is_default=True, is_active=True).first()
            if default is not None:
                self.fields["rule"].initial = default.pk

    def meeting_input(self, **extra: Any) -> svc.MeetingInput:
        data = self.cleaned_data
        return svc.MeetingInput(
            title=data["title"],
            kind=data["kind"],
            chair=data["chair"],
            secretary=data.get("secretary"),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            place=data.get("place", ""),
            online_link=data.get("online_link", ""),
            description=data.get("description", ""),
            rule=data["rule"],
            **extra,
        )


def meeting_initial(meeting: Meeting) -> dict[str, Any]:
    return {
        "title": meeting.title,
        "kind": meeting.kind,
        "starts_at": svc.ics.local(meeting.starts_at).strftime(DATETIME_FORMAT),
        "ends_at": svc.ics.local(meeting.ends_at).strftime(DATETIME_FORMAT),
        "place": meeting.place,
        "online_link": meeting.online_link,
        "chair": meeting.chair_id,
        "secretary": meeting.secretary_id,
        "rule": meeting.rule_id,
        "description": meeting.description,
    }


class ItemForm(forms.Form):
    title = forms.CharField(
        label="Nội dung",
        max_length=svc.MAX_ITEM_TITLE,
        widget=forms.TextInput(attrs={"maxlength": svc.MAX_ITEM_TITLE}),
    )
    presenter = OfficialChoiceField(
        label="Người trình bày", queryset=Official.objects.none(), required=False
    )
    presenter_name = forms.CharField(
        label="Hoặc người trình bày ngoài hệ thống",
        required=False,
        max_length=svc.MAX_PRESENTER_NAME,
        widget=forms.TextInput(attrs={"maxlength": svc.MAX_PRESENTER_NAME}),
    )
    duration_minutes = forms.IntegerField(
        label="Thời lượng (phút)",
        min_value=1,
        max_value=svc.MAX_DURATION,
        initial=15,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    description = forms.CharField(
        label="Mô tả",
        required=False,
        max_length=svc.MAX_ITEM_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": svc.MAX_ITEM_DESCRIPTION}),
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The presenter: one of the meeting's participants or of the organising agency.
        people = Official.objects.filter(
            pk__in=list(meeting.participants.values_list("official_id", flat=True))
        ) | Official.objects.filter(agency_id=meeting.agency_id, user__is_active=True)
        self.fields["presenter"].queryset = people.select_related(  # type: ignore[attr-defined]
            "user", "position", "unit", "agency"
        ).order_by("user__full_name")
        self.fields["presenter"].empty_label = "(không chọn)"  # type: ignore[attr-defined]


class ReasonForm(VersionForm):
    reason = forms.CharField(
        label="Lý do hủy cuộc họp",
        max_length=svc.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": svc.MAX_REASON}),
        help_text="Lý do được gửi kèm thông báo hủy tới mọi người đã nhận giấy mời.",
    )


class NoteForm(VersionForm):
    note = forms.CharField(
        label="Ghi chú gửi kèm (không bắt buộc)",
        required=False,
        max_length=svc.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": svc.MAX_NOTE}),
    )


# --- the participants picker ---------------------------------------------------------------------

SEARCH_LIMIT = 25
ROLE_CHOICES = (("", "Không mời"), ("member", "Thành viên"), ("guest", "Khách mời"))


@dataclass
class PickerRow:
    official: Official
    role: str  # "", "member", "guest"
    items: set[int] = field(default_factory=set)

    @property
    def label(self) -> str:
        return official_label(self.official)


@dataclass
class Picker:
    """Who is chosen (and as what), and who the search found: posted back as `people` (the
    ids shown), `role_<id>` and, for a guest, `items_<id>`."""

    rows: list[PickerRow]
    query: str = ""
    found: int = 0
    searched: bool = False
    errors: list[str] = field(default_factory=list)

    def chosen(self, role: str) -> list[PickerRow]:
        return [r for r in self.rows if r.role == role]


def search_officials(query: str, *, exclude: set[int], limit: int = SEARCH_LIMIT) -> list[Official]:
    """Active officials of any agency whose name, position, unit or agency matches every word
    of `query` (with or without Vietnamese marks)."""
    words = normalize_vietnamese(query).split()
    if not words:
        return []
    found: list[Official] = []
    rows = (
        Official.objects.filter(user__is_active=True, agency__is_active=True)
        .exclude(pk__in=exclude)
        .select_related("user", "position", "unit", "agency")
        .order_by("user__full_name", "pk")
    )
    for official in rows.iterator(chunk_size=500):
        haystack = normalize_vietnamese(
            " ".join(
                [
                    official.user.get_full_name(),
                    official.position.name if official.position is not None else "",
                    official.unit.name if official.unit is not None else "",
                    official.agency.name,
                    official.agency.abbreviation or "",
                ]
            )
        )
        if all(word in haystack for word in words):
            found.append(official)
            if len(found) >= limit:
                break
    return found


def picker_from_meeting(meeting: Meeting) -> Picker:
    rows: list[PickerRow] = []
    for p in meeting.participants.select_related(
        "official__user", "official__position", "official__unit", "official__agency"
    ).prefetch_related("items"):
        if p.role in (Participant.Role.MEMBER, Participant.Role.GUEST):
            rows.append(PickerRow(p.official, p.role, {i.pk for i in p.items.all()}))
    return Picker(rows)


def picker_from_post(post: Any, *, exclude: set[int], items: list[AgendaItem]) -> Picker:
    """The picker as posted, plus the search results (without `exclude`: the chair and the
    secretary, chosen apart) when a search was asked."""
    item_ids = {i.pk for i in items}
    wanted: dict[int, tuple[str, set[int]]] = {}
    for raw in post.getlist("people")[: svc.MAX_MEMBERS + svc.MAX_GUESTS]:
        pk = parse_id(raw)
        if pk is None or pk in wanted:
            continue
        role = post.get(f"role_{pk}", "")
        role = role if role in ("member", "guest") else ""
        chosen = {parse_id(v) for v in post.getlist(f"items_{pk}")}
        wanted[pk] = (role, {i for i in chosen if i in item_ids})
    people = {
        o.pk: o
        for o in Official.objects.filter(pk__in=list(wanted)).select_related(
            "user", "position", "unit", "agency"
        )
    }
    rows = [
        PickerRow(people[pk], role, chosen) for pk, (role, chosen) in wanted.items() if pk in people
    ]
    # Who is not chosen drops off the list at the next search.
    rows = [r for r in rows if r.role]
    query = str(post.get("q", "")).strip()[:100]
    picker = Picker(rows, query=query)
    if query and post.get("action") == "search":
        shown = {r.official.pk for r in rows} | exclude
        results = search_officials(query, exclude=shown)
        picker.rows += [PickerRow(o, "") for o in results]
        picker.found = len(results)
        picker.searched = True
    return picker
