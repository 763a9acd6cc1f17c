"""Paperless meetings (phòng họp không giấy) and written consultation (lấy ý kiến bằng văn bản).

Tables only; every change goes through the case types of cases.py and the actions in
services/. Times are stored in UTC and shown in Asia/Ho_Chi_Minh.

Who may do what in a meeting follows from the meeting itself (its chair, secretary, members and
guests: `Participant`), not from the official's roles in their agency; the secretariat of the
organising agency (org.Role.SECRETARIAT) creates meetings and consultations.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

# --- rules ---------------------------------------------------------------------------------------


class DecisionRule(models.Model):
    """How a vote or a written consultation is decided, as data with its legal source.

    A proposal passes when the votes for it are more than (or at least, `strict=False`)
    `numerator/denominator` of the base: all members (the People's Committee's rule), those
    present, or the votes cast. On a tie between for and against, `tie_break` says who wins.
    `quorum_*`: the share of all voting members that must be present for a meeting's vote.
    """

    class Base(models.TextChoices):
        ALL_MEMBERS = "all_members", _("tổng số thành viên")
        PRESENT = "present", _("số thành viên có mặt")
        VOTES_CAST = "votes_cast", _("số phiếu biểu quyết")

    class TieBreak(models.TextChoices):
        CHAIR = "chair", _("theo ý kiến của chủ tọa")
        FAILS = "fails", _("không thông qua")

    class NonAnswer(models.TextChoices):
        # A member who does not answer a written consultation by the deadline.
        NOT_COUNTED = "not_counted", _("không tính là tán thành")
        AGREE = "agree", _("coi như tán thành")

    code = models.SlugField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên quy tắc"), max_length=200)
    base = models.CharField(_("tính trên"), max_length=12, choices=Base.choices)
    numerator = models.PositiveSmallIntegerField(_("tỷ lệ (tử số)"), default=1)
    denominator = models.PositiveSmallIntegerField(_("tỷ lệ (mẫu số)"), default=2)
    strict = models.BooleanField(_("phải vượt quá tỷ lệ (quá nửa)"), default=True)
    tie_break = models.CharField(
        _("khi ngang phiếu"), max_length=6, choices=TieBreak.choices, default=TieBreak.CHAIR
    )
    quorum_numerator = models.PositiveSmallIntegerField(_("số có mặt tối thiểu (tử số)"), default=0)
    quorum_denominator = models.PositiveSmallIntegerField(
        _("số có mặt tối thiểu (mẫu số)"), default=1
    )
    absent_may_vote = models.BooleanField(
        _("thành viên vắng mặt được biểu quyết điện tử"), default=False
    )
    delegates_vote = models.BooleanField(_("người dự thay được biểu quyết"), default=False)
    non_answer = models.CharField(
        _("không trả lời phiếu lấy ý kiến"),
        max_length=12,
        choices=NonAnswer.choices,
        default=NonAnswer.NOT_COUNTED,
    )
    legal_source = models.TextField(_("căn cứ pháp lý"))
    # The short "Căn cứ ..." line a decision or a notice quotes (legal_source keeps the notes:
    # which article, what replaced what, what is still to verify).
    citation = models.CharField(_("căn cứ ghi trên văn bản"), max_length=300, blank=True)
    is_default = models.BooleanField(_("mặc định"), default=False)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("quy tắc biểu quyết")
        verbose_name_plural = _("quy tắc biểu quyết")
        ordering = ["-is_default", "name"]

    def __str__(self) -> str:
        return self.name


# --- meetings ------------------------------------------------------------------------------------


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("Đang chuẩn bị")
    PUBLISHED = "published", _("Đã gửi giấy mời")
    IN_SESSION = "in_session", _("Đang họp")
    CLOSED = "closed", _("Đã kết thúc")
    CANCELLED = "cancelled", _("Đã hủy")


def new_ical_uid() -> str:
    return f"{uuid.uuid4()}@egov-meetings"


class Meeting(models.Model):
    class Kind(models.TextChoices):
        REGULAR = "regular", _("Họp thường kỳ")
        THEMATIC = "thematic", _("Họp chuyên đề")
        EXTRAORDINARY = "extraordinary", _("Họp đột xuất")

    agency = models.ForeignKey(
        "org.Agency",
        verbose_name=_("cơ quan tổ chức"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    title = models.CharField(_("tên cuộc họp"), max_length=300)
    kind = models.CharField(_("loại cuộc họp"), max_length=15, choices=Kind.choices)
    status = models.CharField(
        _("trạng thái"), max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT
    )
    chair = models.ForeignKey(
        "org.Official", verbose_name=_("chủ trì"), on_delete=models.PROTECT, related_name="+"
    )
    secretary = models.ForeignKey(
        "org.Official",
        verbose_name=_("thư ký"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("bắt đầu"))
    ends_at = models.DateTimeField(_("kết thúc dự kiến"))
    place = models.CharField(_("địa điểm"), max_length=300, blank=True)
    online_link = models.URLField(_("đường dẫn họp trực tuyến"), max_length=500, blank=True)
    description = models.TextField(_("nội dung"), blank=True)
    rule = models.ForeignKey(
        DecisionRule,
        verbose_name=_("quy tắc biểu quyết"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # RFC 5545: one UID for the meeting's whole life; SEQUENCE + 1 at every published change.
    ical_uid = models.CharField(max_length=120, unique=True, default=new_ical_uid)
    ical_sequence = models.PositiveIntegerField(default=0)
    current_item = models.ForeignKey(
        "AgendaItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("lý do hủy"), max_length=500, blank=True)
    # What the participants were last sent (publish, republish): the page shows the changes
    # since, and republishing sends them (services/meetings.py `snapshot`).
    published_snapshot = models.JSONField(null=True, blank=True, editable=False)
    # Reminders sent for the current time (cleared when a republish moves the meeting).
    reminded_day_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_hour_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cuộc họp")
        verbose_name_plural = _("cuộc họp")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    """Someone invited to a meeting, in a role, and their attendance: the answer to the
    invitation (with a reason and a delegate when declining) and presence on the day."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chủ trì")
        MEMBER = "member", _("Thành viên")
        SECRETARY = "secretary", _("Thư ký")
        GUEST = "guest", _("Khách mời")

    class Response(models.TextChoices):
        PENDING = "pending", _("Chưa trả lời")
        ACCEPTED = "accepted", _("Tham dự")
        DECLINED = "declined", _("Vắng mặt")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    official = models.ForeignKey(
        "org.Official", verbose_name=_("người dự họp"), on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("vai trò"), max_length=10, choices=Role.choices)
    # Guests see only the items they are invited to (empty: none but the meeting's own page).
    items: models.ManyToManyField[AgendaItem, Any] = models.ManyToManyField(
        "AgendaItem", blank=True, related_name="guests"
    )
    response = models.CharField(
        _("trả lời"), max_length=10, choices=Response.choices, default=Response.PENDING
    )
    reason = models.CharField(_("lý do vắng mặt"), max_length=500, blank=True)
    delegate = models.ForeignKey(
        "org.Official",
        verbose_name=_("người dự thay"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    # Presence recorded at the meeting (None: not recorded yet).
    present = models.BooleanField(_("có mặt"), null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("người dự họp")
        verbose_name_plural = _("người dự họp")
        ordering = ["meeting", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "official"], name="meeting_participant")
        ]

    def __str__(self) -> str:
        return f"{self.official} ({self.get_role_display()})"

    @property
    def votes(self) -> bool:
        """Chair and members vote; secretary and guests do not."""
        return self.role in (self.Role.CHAIR, self.Role.MEMBER)


class AgendaItem(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Chưa thảo luận")
        CURRENT = "current", _("Đang thảo luận")
        DONE = "done", _("Đã thảo luận")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("thứ tự"))
    title = models.CharField(_("nội dung"), max_length=500)
    description = models.TextField(_("mô tả"), blank=True)
    presenter = models.ForeignKey(
        "org.Official",
        verbose_name=_("người trình bày"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    presenter_name = models.CharField(
        _("người trình bày (ngoài hệ thống)"), max_length=200, blank=True
    )
    duration_minutes = models.PositiveSmallIntegerField(_("thời lượng (phút)"), default=15)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    # The chair closes the speakers' list: no new request is taken.
    speakers_open = models.BooleanField(_("nhận đăng ký phát biểu"), default=True)
    conclusion = models.TextField(_("kết luận của chủ trì"), blank=True)

    class Meta:
        verbose_name = _("nội dung họp")
        verbose_name_plural = _("chương trình họp")
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agenda_item_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


def material_upload_path(instance: MaterialVersion, filename: str) -> str:
    # A random name: never overwrites, and the uploader's file name is only data.
    return f"meetings/{instance.material.meeting_id}/materials/{uuid.uuid4().hex}"


class Material(models.Model):
    """A meeting paper: an upload (versioned) or an official document from the documents app.
    A confidential one is shown only to the people named (and the chair and secretary)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="materials")
    item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("nội dung họp"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="materials",
    )
    title = models.CharField(_("tên tài liệu"), max_length=300)
    confidential = models.BooleanField(_("tài liệu mật"), default=False)
    readers = models.ManyToManyField(
        "org.Official", verbose_name=_("người được xem"), blank=True, related_name="+"
    )
    outgoing_document = models.ForeignKey(
        "documents.OutgoingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    incoming_document = models.ForeignKey(
        "documents.IncomingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    current_version = models.ForeignKey(
        "MaterialVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn = models.BooleanField(_("đã rút"), default=False)
    created_by = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tài liệu họp")
        verbose_name_plural = _("tài liệu họp")
        ordering = ["meeting", "item", "id"]

    def __str__(self) -> str:
        return self.title


class MaterialVersion(models.Model):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="versions")
    seq = models.PositiveSmallIntegerField(_("phiên bản"))
    file = models.FileField(upload_to=material_upload_path, max_length=200)
    original_name = models.CharField(_("tên tệp"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    created_by = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("phiên bản tài liệu họp")
        verbose_name_plural = _("phiên bản tài liệu họp")
        ordering = ["material", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["material", "seq"], name="material_version_seq")
        ]

    def __str__(self) -> str:
        return f"{self.material_id} v{self.seq}"


class Annotation(models.Model):
    """A member's own note on a material page: never shown to anyone else (not even the
    secretariat); not an event (a private note, not a state change of the meeting)."""

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(MaterialVersion, on_delete=models.CASCADE, related_name="+")
    official = models.ForeignKey("org.Official", on_delete=models.CASCADE, related_name="+")
    page = models.PositiveIntegerField(_("trang"), default=1)
    text = models.TextField(_("ghi chú"), max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ghi chú cá nhân")
        verbose_name_plural = _("ghi chú cá nhân")
        ordering = ["material", "page", "id"]
        indexes = [models.Index(fields=["official", "material"])]

    def __str__(self) -> str:
        return f"{self.official_id}: {self.material_id} p.{self.page}"


class SpeakingRequest(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Đang chờ")
        SPEAKING = "speaking", _("Đang phát biểu")
        DONE = "done", _("Đã phát biểu")
        WITHDRAWN = "withdrawn", _("Đã rút")
        DROPPED = "dropped", _("Không kịp phát biểu")

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="speakers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(_("nội dung phát biểu"), max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("đăng ký phát biểu")
        verbose_name_plural = _("đăng ký phát biểu")
        ordering = ["item", "requested_at", "id"]

    def __str__(self) -> str:
        return f"{self.participant_id} → {self.item_id} ({self.status})"


# --- votes ----------------------------------------------------------------------------------------


class VoteStatus(models.TextChoices):
    DRAFT = "draft", _("Chưa mở")
    OPEN = "open", _("Đang biểu quyết")
    CLOSED = "closed", _("Đã kết thúc")
    CANCELLED = "cancelled", _("Đã hủy")


class Vote(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Biểu quyết công khai")
        SECRET = "secret", _("Bỏ phiếu kín")

    class Choices(models.TextChoices):
        FOR_AGAINST = "for_against", _("Tán thành / Không tán thành / Không biểu quyết")
        LIST = "list", _("Chọn trong danh sách")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="votes")
    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    question = models.CharField(_("nội dung biểu quyết"), max_length=500)
    kind = models.CharField(_("hình thức"), max_length=6, choices=Kind.choices)
    choices = models.CharField(
        _("phương án"), max_length=12, choices=Choices.choices, default=Choices.FOR_AGAINST
    )
    # For a choice list: [{"key": "a", "label": "..."}]; for/against/abstain is implied.
    options = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=VoteStatus.choices, default=VoteStatus.DRAFT)
    rule = models.ForeignKey(DecisionRule, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Filled at close: counts per option, the base, the outcome and why (rules.Outcome).
    result = models.JSONField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    # Secret votes: the signed list of who took part (no choice), made at close.
    participation_signature = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("biểu quyết")
        verbose_name_plural = _("biểu quyết")
        ordering = ["meeting", "item", "id"]

    def __str__(self) -> str:
        return self.question


class VoteParticipation(models.Model):
    """Who has voted (one row per voter and vote: a second ballot is refused by the unique
    constraint). For a secret vote it says nothing of the choice, and nothing links it to the
    ballot: no shared key, no time on the ballot, ballots keyed by random UUIDs."""

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="participations")
    # The seat voted: the member (or the chair) whose vote it is.
    official = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    # Voting for an absent member (where the rule allows) or as their delegate.
    remote = models.BooleanField(default=False)
    # Who cast it when a delegate voted in the member's place (the seat is still the member's:
    # the unique constraint then refuses the member's own ballot, never both).
    delegate = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("người đã biểu quyết")
        verbose_name_plural = _("danh sách đã biểu quyết")
        constraints = [
            models.UniqueConstraint(fields=["vote", "official"], name="one_ballot_per_voter")
        ]

    def __str__(self) -> str:
        return f"{self.official_id} → {self.vote_id}"


class Ballot(models.Model):
    """One ballot. Open vote: `voter` is set. Secret vote: `voter` is empty and the only link
    to the voter is the receipt the voter keeps (we store its SHA-256): the database alone
    cannot tell whose ballot it is; the voter can find it in the published count."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(
        "org.Official", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(max_length=40)
    receipt_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("phiếu biểu quyết")
        verbose_name_plural = _("phiếu biểu quyết")

    def __str__(self) -> str:
        return str(self.id)


# --- written consultation -------------------------------------------------------------------------


class ConsultationStatus(models.TextChoices):
    DRAFT = "draft", _("Đang chuẩn bị")
    OPEN = "open", _("Đang lấy ý kiến")
    CLOSED = "closed", _("Đã tổng hợp, chờ ký")
    ISSUED = "issued", _("Đã ban hành kết quả")
    CANCELLED = "cancelled", _("Đã hủy")


class Consultation(models.Model):
    """Phiếu lấy ý kiến: the chair asks the members in writing about a draft document."""

    class ResultKind(models.TextChoices):
        DECISION = "decision", _("Quyết định")
        CONCLUSION = "conclusion", _("Thông báo kết luận")

    agency = models.ForeignKey("org.Agency", on_delete=models.PROTECT, related_name="consultations")
    title = models.CharField(_("vấn đề lấy ý kiến"), max_length=300)
    question = models.TextField(_("câu hỏi"))
    draft = models.ForeignKey(
        "documents.OutgoingDocument",
        verbose_name=_("dự thảo"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The version of the draft the members were sent (pinned at sending: what they read and
    # what their signed sheets name, by its SHA-256).
    draft_version = models.ForeignKey(
        "documents.DocumentVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    chair = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(DecisionRule, on_delete=models.PROTECT, related_name="+")
    result_kind = models.CharField(
        _("hình thức ban hành kết quả"),
        max_length=10,
        choices=ResultKind.choices,
        default=ResultKind.CONCLUSION,
    )
    status = models.CharField(
        max_length=10, choices=ConsultationStatus.choices, default=ConsultationStatus.DRAFT
    )
    deadline_days = models.PositiveSmallIntegerField(_("thời hạn (ngày làm việc)"))
    sent_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(_("hạn trả lời"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    result_document = models.ForeignKey(
        "documents.OutgoingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lấy ý kiến bằng văn bản")
        verbose_name_plural = _("lấy ý kiến bằng văn bản")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "deadline_at"])]

    def __str__(self) -> str:
        return self.title


# For the API schema's enum names (a nested class cannot be named in ENUM_NAME_OVERRIDES).
ConsultationResultKind = Consultation.ResultKind


def ballot_upload_path(instance: ConsultationMember, filename: str) -> str:
    return f"meetings/consultations/{instance.consultation_id}/{uuid.uuid4().hex}"


class ConsultationMember(models.Model):
    """A member asked, and (once answered) their signed answer."""

    class Answer(models.TextChoices):
        AGREE = "agree", _("Đồng ý")
        DISAGREE = "disagree", _("Không đồng ý")
        COMMENT = "comment", _("Ý kiến khác")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="members")
    official = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(_("ý kiến"), max_length=10, choices=Answer.choices, blank=True)
    comment = models.TextField(_("ý kiến cụ thể"), blank=True, max_length=4000)
    # The generated answer sheet (phiếu), signed by the member (PAdES).
    signed_ballot = models.FileField(upload_to=ballot_upload_path, max_length=200, blank=True)
    signed_sha256 = models.CharField(max_length=64, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thành viên được lấy ý kiến")
        verbose_name_plural = _("thành viên được lấy ý kiến")
        ordering = ["consultation", "id"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "official"], name="consultation_member")
        ]

    def __str__(self) -> str:
        return f"{self.official_id} ({self.answer or '-'})"


# --- minutes, conclusions and tasks ---------------------------------------------------------------


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("Đang ghi")
    SIGNING = "signing", _("Chờ ký")
    SIGNED = "signed", _("Đã ký")


def minutes_upload_path(instance: Minutes, filename: str) -> str:
    return f"meetings/{instance.meeting_id}/minutes/{uuid.uuid4().hex}"


class Minutes(models.Model):
    """Biên bản cuộc họp: written by the secretary during the meeting (attendance, items,
    speakers and vote results filled in from the record), signed by secretary and chair."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    status = models.CharField(
        max_length=8, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT
    )
    # The secretary's text per agenda item ({"<item id>": "..."}) and the opening/closing notes.
    notes = models.JSONField(default=dict, blank=True)
    pdf = models.FileField(upload_to=minutes_upload_path, max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    # Where each signature goes on the rendered PDF, found at rendering from the slots the
    # layout leaves: {"secretary": [page, x1, y1, x2, y2], "chair": [...]} (PDF points).
    signature_boxes = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    secretary_signed_at = models.DateTimeField(null=True, blank=True)
    chair_signed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("biên bản họp")
        verbose_name_plural = _("biên bản họp")

    def __str__(self) -> str:
        return f"Biên bản {self.meeting_id}"


class MinutesDraft(models.Model):
    """What the secretary typed in one part of the minutes (an agenda item, the opening or the
    closing notes) since that part was last written into the minutes: the autosave's buffer.

    Writing the minutes is an action with its event (`meeting_minutes.updated`); an autosave
    every few seconds would flood the agency's event chain, so a part is written into
    `Minutes.notes` (with its event) at most once a minute, and the typing in between is kept
    here (like an annotation: the writer's own text, not a state change). Pages and the PDF
    read the notes with these on top; submitting folds them in."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="drafts")
    part = models.CharField(max_length=20)
    text = models.TextField(blank=True)
    # When this part was last written into the minutes with an event (None: never).
    logged_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey("org.Official", on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bản ghi tạm biên bản")
        verbose_name_plural = _("bản ghi tạm biên bản")
        constraints = [
            models.UniqueConstraint(fields=["minutes", "part"], name="minutes_draft_part")
        ]

    def __str__(self) -> str:
        return f"{self.minutes_id}:{self.part}"


class ConclusionStatus(models.TextChoices):
    DRAFT = "draft", _("Đang soạn")
    SUBMITTED = "submitted", _("Đã trình ký")
    ISSUED = "issued", _("Đã ban hành")


class Conclusion(models.Model):
    """Thông báo kết luận: drafted from the chair's conclusions, issued as a numbered
    document (TB) through the documents app; its tasks are tracked to completion."""

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="conclusion")
    text = models.TextField(_("nội dung kết luận"))
    status = models.CharField(
        max_length=10, choices=ConclusionStatus.choices, default=ConclusionStatus.DRAFT
    )
    document = models.ForeignKey(
        "documents.OutgoingDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    symbol = models.CharField(_("số, ký hiệu"), max_length=60, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    # The tasks as written before the notice is issued ([{"title", "agency", "assignee",
    # "due_days"}], ids of org rows): a Task is made (assigned) only when the notice is issued,
    # since its deadline runs from the issue date.
    planned_tasks = models.JSONField(_("nhiệm vụ dự kiến giao"), default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("thông báo kết luận")
        verbose_name_plural = _("thông báo kết luận")

    def __str__(self) -> str:
        return self.symbol or f"Kết luận {self.meeting_id}"


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Đang thực hiện")
    DONE = "done", _("Đã hoàn thành")
    CANCELLED = "cancelled", _("Đã hủy")


class Task(models.Model):
    """A task of a conclusion notice: who, what, by when (working days from issue)."""

    conclusion = models.ForeignKey(Conclusion, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("nhiệm vụ"), max_length=500)
    assignee_agency = models.ForeignKey(
        "org.Agency", verbose_name=_("cơ quan chủ trì"), on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        "org.Official",
        verbose_name=_("người chịu trách nhiệm"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_days = models.PositiveSmallIntegerField(_("thời hạn (ngày làm việc)"))
    due_at = models.DateTimeField(_("hạn hoàn thành"), null=True, blank=True)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    report = models.TextField(_("kết quả thực hiện"), blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("lý do hủy"), max_length=500, blank=True)
    # Reminders: the one before the deadline (sent once), the overdue one (once a day at most).
    reminded_before_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("nhiệm vụ")
        verbose_name_plural = _("nhiệm vụ")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return self.title


# --- in-app notices ------------------------------------------------------------------------------


class MeetingNotice(models.Model):
    """An in-app notice to an official (invitation, change, cancellation, reminder, a
    consultation, a task), written by the outbox's `inapp` deliverer: in-app delivery goes
    through the outbox like e-mail and SMS."""

    official = models.ForeignKey("org.Official", on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo họp")
        verbose_name_plural = _("thông báo họp")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["official", "read_at"])]

    def __str__(self) -> str:
        return self.title
