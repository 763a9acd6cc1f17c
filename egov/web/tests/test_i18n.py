"""The sign-in and two-factor pages speak Vietnamese (and English on request), label every field,
explain errors in the user's language and carry no inline script or style (strict CSP)."""

from __future__ import annotations

import ast
import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from egov.accounts.services import issue_enrolment_code
from egov.conftest import totp_now
from egov.core.actors import SYSTEM

pytestmark = pytest.mark.django_db

PASSWORD = "Mat-khau-2026!"
# Letters that only Vietnamese text contains (lower case; the check lower-cases the text).
VIETNAMESE_LETTERS = re.compile(
    "[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]"
)


class Page(HTMLParser):
    """What a person (or a screen reader) gets from a page: labels, inputs, text, buttons."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.labels: dict[str, str] = {}  # for= -> label text
        self.inputs: dict[str, dict[str, str | None]] = {}  # id -> attributes
        self.by_id: dict[str, str] = {}  # id -> text inside that element
        self.buttons: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_problems: list[str] = []
        self.text: list[str] = []
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in a:
            if name == "style" or name.startswith("on"):
                self.inline_problems.append(f"<{tag} {name}=...>")
        if tag == "style":
            self.inline_problems.append("<style>")
        if tag == "script":
            self.scripts.append(a)
        if tag in ("input", "textarea", "select") and a.get("id"):
            self.inputs[str(a["id"])] = a
        if tag in ("input", "img", "meta", "link", "br", "hr"):
            return
        self._open.append((tag, a, []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            open_tag, a, chunks = self._open.pop()
            text = " ".join("".join(chunks).split())
            if self._open:
                self._open[-1][2].append("".join(chunks))
            if open_tag == "label" and a.get("for"):
                self.labels[str(a["for"])] = text
            if open_tag == "button":
                self.buttons.append(text)
            if a.get("id"):
                self.by_id[str(a["id"])] = text
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)
            if self._open[-1][0] in ("script", "style", "title"):
                return
        self.text.append(data)

    def input_labelled(self, label: str) -> dict[str, str | None]:
        """The input a <label for=...> with exactly this text points at."""
        matches = [for_id for for_id, text in self.labels.items() if text == label]
        assert matches, f"no <label> reading {label!r}; labels: {self.labels}"
        assert matches[0] in self.inputs, f"<label for={matches[0]}> points at no input"
        return self.inputs[matches[0]]

    def description_of(self, field: dict[str, str | None]) -> str:
        ids = (field.get("aria-describedby") or "").split()
        return " ".join(self.by_id.get(i, "") for i in ids)

    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def page(response) -> Page:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return Page(response.content.decode())


def assert_no_inline_code(response) -> None:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    parsed = Page(html)
    assert ' style="' not in html and " style='" not in html
    assert not parsed.inline_problems, parsed.inline_problems
    assert all(s.get("src") for s in parsed.scripts), "a <script> without src"


def switch_language(client: Client, code: str) -> None:
    response = client.post("/i18n/setlang/", {"language": code, "next": "/"})
    assert response.status_code == 302


@pytest.fixture(autouse=True)
def _fresh_rate_limits():  # type: ignore[no-untyped-def]
    """Failed logins are counted in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def official_after_password(client, agency, make_official, give_totp):  # type: ignore[no-untyped-def]
    """An official with an authenticator who has typed the right password: the 2FA step is next."""
    official = make_official(agency, username="tiepnhan")
    give_totp(official.user)
    response = client.post("/accounts/login/", {"login": "tiepnhan", "password": PASSWORD})
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    return official


@pytest.fixture
def new_official_logged_in(client, agency, make_official):  # type: ignore[no-untyped-def]
    """An official without an authenticator, right after the password step."""
    official = make_official(agency, username="moi")
    client.post("/accounts/login/", {"login": "moi", "password": PASSWORD})
    return official


class TestLoginPage:
    def test_fields_have_visible_vietnamese_labels_and_a_hint(self, client):
        p = page(client.get("/accounts/login/"))
        login = p.input_labelled("Tên đăng nhập")
        assert login["name"] == "login"
        assert login["autocomplete"] == "username"
        assert "placeholder" not in login
        assert p.description_of(login) == (
            "Số định danh cá nhân (công dân), mã số thuế (doanh nghiệp) hoặc tài khoản công chức"
        )
        password = p.input_labelled("Mật khẩu")
        assert password["name"] == "password" and password["type"] == "password"
        assert "Đăng nhập" in p.buttons
        assert 'lang="vi"' in client.get("/accounts/login/").content.decode()

    def test_links_to_registration_and_password_reset(self, client):
        html = client.get("/accounts/login/").content.decode()
        assert 'href="/dang-ky/cong-dan/"' in html
        assert 'href="/dang-ky/doanh-nghiep/"' in html
        assert 'href="/accounts/password/reset/"' in html

    def test_wrong_password_is_explained_in_vietnamese(self, client, make_citizen):
        citizen = make_citizen()
        response = client.post("/accounts/login/", {"login": citizen.username, "password": "sai"})
        p = page(response)
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in p.visible_text()
        # The typed login name is kept, the password is not.
        assert p.input_labelled("Tên đăng nhập")["value"] == citizen.username
        assert "value" not in p.input_labelled("Mật khẩu")

    def test_empty_form_says_which_field_is_missing(self, client):
        p = page(client.post("/accounts/login/", {"login": "", "password": ""}))
        login = p.input_labelled("Tên đăng nhập")
        assert login["aria-invalid"] == "true"
        assert "Trường này là bắt buộc." in p.description_of(login)

    def test_too_many_failures_are_explained_in_vietnamese(self, client, make_citizen):
        citizen = make_citizen()
        for _ in range(5):
            client.post("/accounts/login/", {"login": citizen.username, "password": "sai"})
        response = client.post(
            "/accounts/login/", {"login": citizen.username, "password": PASSWORD}
        )
        assert "Đăng nhập sai quá nhiều lần" in page(response).visible_text()

    def test_successful_login_greets_by_name(self, client, make_citizen):
        citizen = make_citizen()
        response = client.post(
            "/accounts/login/", {"login": citizen.username, "password": PASSWORD}, follow=True
        )
        assert (
            f"Đăng nhập thành công. Xin chào {citizen.full_name}." in page(response).visible_text()
        )

    def test_logout_page_and_message(self, client, make_citizen):
        client.force_login(make_citizen())
        p = page(client.get("/accounts/logout/"))
        assert "Bạn có chắc muốn đăng xuất?" in p.visible_text()
        response = client.post("/accounts/logout/", follow=True)
        assert "Bạn đã đăng xuất." in page(response).visible_text()


class TestEnglish:
    def test_switching_to_english_translates_home_and_login(self, client):
        switch_language(client, "en")
        home = client.get("/")
        assert 'lang="en"' in home.content.decode()
        text = page(home).visible_text()
        assert "Skip to main content" in text and "Sign in" in text
        assert "Bỏ qua, đến nội dung chính" not in text

        p = page(client.get("/accounts/login/"))
        login = p.input_labelled("Username")
        assert p.description_of(login) == (
            "Personal id number (citizens), tax code (businesses) or official account"
        )
        p.input_labelled("Password")
        assert "Sign in" in p.buttons

        switch_language(client, "vi")
        page(client.get("/accounts/login/")).input_labelled("Tên đăng nhập")

    def test_language_menu_names_each_language_in_itself(self, client):
        for code in ("vi", "en"):
            switch_language(client, code)
            html = client.get("/accounts/login/").content.decode()
            assert ">Tiếng Việt</option>" in html and ">English</option>" in html

    def test_allauth_errors_in_english(self, client, make_citizen):
        switch_language(client, "en")
        citizen = make_citizen()
        response = client.post("/accounts/login/", {"login": citizen.username, "password": "x"})
        text = page(response).visible_text()
        assert "The username and/or password you specified are not correct." in text

    @pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/password/reset/"])
    def test_no_vietnamese_left_on_english_entrance_pages(self, client, url):
        switch_language(client, "en")
        text = page(client.get(url)).visible_text()
        text = text.replace(settings.PLATFORM_NAME, "").replace("Tiếng Việt", "")
        assert not VIETNAMESE_LETTERS.findall(text.lower()), text

    def test_no_vietnamese_left_on_english_two_factor_pages(
        self, client, official_after_password, agency, make_official
    ):
        switch_language(client, "en")
        text = page(client.get("/accounts/2fa/authenticate/")).visible_text()
        assert "Two-factor authentication" in text and "Authentication code" in text
        text = text.replace(settings.PLATFORM_NAME, "").replace("Tiếng Việt", "")
        assert not VIETNAMESE_LETTERS.findall(text.lower()), text

        other = Client()
        switch_language(other, "en")
        make_official(agency, username="moi")
        other.post("/accounts/login/", {"login": "moi", "password": PASSWORD})
        text = page(other.get("/accounts/2fa/totp/activate/")).visible_text()
        assert "Activate two-factor authentication" in text
        for name in (settings.PLATFORM_NAME, "Tiếng Việt", "Cán bộ 2"):
            text = text.replace(name, "")
        assert not VIETNAMESE_LETTERS.findall(text.lower()), text


class TestTwoFactorPages:
    def test_authenticate_page_asks_for_the_code(self, client, official_after_password):
        p = page(client.get("/accounts/2fa/authenticate/"))
        assert "Xác thực hai lớp" in p.visible_text()
        code = p.input_labelled("Mã xác thực")
        assert code["name"] == "code"
        assert code["inputmode"] == "numeric"
        assert code["autocomplete"] == "one-time-code"
        assert "6 chữ số" in p.description_of(code)
        assert "Xác nhận" in p.buttons and "Hủy" in p.buttons

    def test_wrong_code_is_explained_then_right_code_opens_the_workspace(
        self, client, official_after_password
    ):
        p = page(client.post("/accounts/2fa/authenticate/", {"code": "000000"}))
        code = p.input_labelled("Mã xác thực")
        assert code["aria-invalid"] == "true"
        assert "Mã xác thực không đúng." in p.description_of(code)
        response = client.post("/accounts/2fa/authenticate/", {"code": totp_now()}, follow=True)
        assert "Không gian làm việc" in page(response).visible_text()

    def test_activation_page_shows_qr_secret_and_code_field(self, client, new_official_logged_in):
        response = client.get("/accounts/2fa/totp/activate/")
        p = page(response)
        html = response.content.decode()
        text = p.visible_text()
        assert "Kích hoạt xác thực hai lớp" in text
        secret = client.session["mfa.totp.secret"]
        assert secret in text.replace(" ", "")  # for manual entry, in groups of four
        assert re.search(r'<img src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="Mã QR', html)
        assert 'href="otpauth://totp/' in html
        code = p.input_labelled("Mã xác thực")
        assert code["inputmode"] == "numeric" and code["autocomplete"] == "one-time-code"
        enrolment = p.input_labelled("Mã kích hoạt do quản trị hệ thống cấp")
        assert enrolment["name"] == "enrolment_code"
        assert "chỉ dùng được một lần" in p.description_of(enrolment)
        assert "Kích hoạt" in p.buttons

    def test_wrong_activation_code_is_explained(self, client, new_official_logged_in):
        client.get("/accounts/2fa/totp/activate/")
        p = page(client.post("/accounts/2fa/totp/activate/", {"code": "000000"}))
        assert "Mã xác thực không đúng." in p.description_of(p.input_labelled("Mã xác thực"))

    @pytest.mark.django_db(transaction=True)
    def test_activation_leads_to_recovery_codes_then_onwards(self, client, new_official_logged_in):
        issued = issue_enrolment_code(actor=SYSTEM, user=new_official_logged_in.user)
        client.get("/accounts/2fa/totp/activate/")
        secret = client.session["mfa.totp.secret"]
        response = client.post(
            "/accounts/2fa/totp/activate/",
            {"code": totp_now(secret), "enrolment_code": issued.code},
            follow=True,
        )
        p = page(response)
        text = p.visible_text()
        assert "Đã kích hoạt ứng dụng xác thực." in text
        assert "Mã khôi phục" in text
        assert len(re.findall(r"<li><code>\d{8}</code></li>", response.content.decode())) == 10
        assert 'href="/sau-dang-nhap/"' in response.content.decode()
        assert_no_inline_code(response)
        index = client.get("/accounts/2fa/")
        assert "Đang bật" in page(index).visible_text()
        # Officials cannot switch the second factor off, so the page offers no such button.
        assert "/accounts/2fa/totp/deactivate/" not in index.content.decode()
        assert_no_inline_code(index)


class TestNoInlineCode:
    def test_public_pages(self, client):
        for url in ("/", "/accounts/login/", "/accounts/password/reset/", "/accounts/signup/"):
            assert_no_inline_code(client.get(url))

    def test_error_page_of_login(self, client):
        assert_no_inline_code(client.post("/accounts/login/", {"login": "x", "password": "y"}))

    def test_two_factor_authenticate(self, client, official_after_password):
        assert_no_inline_code(client.get("/accounts/2fa/authenticate/"))
        assert_no_inline_code(client.post("/accounts/2fa/authenticate/", {"code": "1"}))

    def test_totp_activate(self, client, new_official_logged_in):
        assert_no_inline_code(client.get("/accounts/2fa/totp/activate/"))

    def test_signed_in_account_pages(self, client, make_citizen):
        client.force_login(make_citizen())
        for url in (
            "/accounts/logout/",
            "/accounts/password/change/",
            "/accounts/2fa/",
            "/accounts/reauthenticate/",  # allauth's own template, drawn with our elements
            "/accounts/email/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert_no_inline_code(response)


class TestOtherAccountPages:
    def test_password_change_is_labelled_in_vietnamese(self, client, make_citizen):
        client.force_login(make_citizen())
        p = page(client.get("/accounts/password/change/"))
        assert p.input_labelled("Mật khẩu hiện tại")["name"] == "oldpassword"
        assert p.input_labelled("Mật khẩu mới")["name"] == "password1"
        assert p.input_labelled("Nhập lại mật khẩu mới")["name"] == "password2"
        response = client.post(
            "/accounts/password/change/",
            {"oldpassword": "sai", "password1": "x", "password2": "y"},
        )
        assert "Vui lòng nhập mật khẩu hiện tại." in page(response).visible_text()

    def test_password_reset_asks_for_email(self, client):
        p = page(client.get("/accounts/password/reset/"))
        assert p.input_labelled("Thư điện tử")["name"] == "email"

    def test_signup_points_to_our_registration(self, client):
        html = client.get("/accounts/signup/").content.decode()
        assert 'href="/dang-ky/cong-dan/"' in html and 'href="/dang-ky/doanh-nghiep/"' in html


def test_password_reset_email_is_in_vietnamese(client, make_citizen, mailoutbox):
    citizen = make_citizen()
    citizen.email = "bich@example.vn"
    citizen.save()
    response = client.post("/accounts/password/reset/", {"email": "bich@example.vn"}, follow=True)
    assert "Đã gửi thư" in page(response).visible_text()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert "Thư đặt lại mật khẩu" in message.subject
    assert "yêu cầu đặt lại mật khẩu cho tài khoản của bạn" in message.body
    assert f"Tên đăng nhập của bạn là {citizen.username}." in message.body


def read_po(path: Path) -> list[dict[str, object]]:
    """Entries of a .po file (no header, no obsolete ones): msgctxt, msgid, msgstr(s), fuzzy."""
    entries: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    field = ""

    def finish() -> None:
        if "msgid" in entry and entry["msgid"] != "":
            entries.append(dict(entry))
        entry.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            finish()
        elif line.startswith("#,"):
            entry["fuzzy"] = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[field] = str(entry[field]) + ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    finish()
    return entries


@pytest.mark.parametrize("language", ["vi", "en"])
def test_catalogue_is_complete_and_compiled(language):
    """Every string has a translation, none is fuzzy, and the committed .mo matches the .po
    (refresh both as egov/locale/README.md says)."""
    folder = Path(settings.LOCALE_PATHS[0]) / language / "LC_MESSAGES"
    entries = read_po(folder / "django.po")
    assert entries
    with (folder / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]
    compiled = 0
    for e in entries:
        msgid = str(e["msgid"])
        assert not e.get("fuzzy"), f"fuzzy: {msgid!r}"
        key = f"{e['msgctxt']}\x04{msgid}" if "msgctxt" in e else msgid
        if "msgid_plural" in e:
            forms = sorted(k for k in e if k.startswith("msgstr["))
            for i, form in enumerate(forms):
                assert e[form], f"untranslated: {msgid!r}"
                assert catalog.get((key, i)) == e[form], f".mo out of date for {msgid!r}"
                compiled += 1
        else:
            assert e["msgstr"], f"untranslated: {msgid!r}"
            assert catalog.get(key) == e["msgstr"], f".mo out of date for {msgid!r}"
            compiled += 1
    assert len([k for k in catalog if k != ""]) == compiled, ".mo has entries the .po lacks"
