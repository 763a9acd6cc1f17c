"""The administration in Vietnamese: every page of every registered model, as the operator meets
it (the list with its filters and search, the add form sent empty, a change form and its
history), shows no English left by Django's admin or a third-party app, and the admin's
JavaScript catalogue (the two-box selector, the calendar) is translated too."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import django
import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.translation import trans_real

from egov.conftest import foreign_words, login_client
from egov.org.models import Role

pytestmark = pytest.mark.django_db

# Data shown verbatim, not interface text: the test's own login name, the actor and subject type
# codes of the hash-chained event log ("system", "user"), the HTTP header a help text quotes.
DATA_WORDS = {"quantri", "test", "system", "user", "bearer"}
# Codes, addresses and identifiers (a word with a digit or with . : _ / @ in it, or a lower-case
# slug): event types (account.official_created), API scopes (events:read), URLs, login
# examples, hashes and masked ones (a salt shown as "ob******"), document type codes
# (nghi-quyet-qppl).
IDENTIFIER = re.compile(r"\S*[\d.:_/@*]\S*|\b[a-z]+(?:-[a-z]+)+\b")


class VisibleText(HTMLParser):
    """The text a person reads: no scripts, styles, code, hidden elements, the inline rows kept as
    templates for "add another", nor text marked as another language (the language menu's
    "English"); plus titles, placeholders, labels for screen readers."""

    SKIP = {"script", "style", "code", "pre", "textarea", "template", "noscript"}
    VOID = {"input", "img", "meta", "link", "br", "hr", "col", "area", "base", "source", "wbr"}
    ATTRS = ("title", "placeholder", "aria-label", "alt")

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[bool] = []  # per open element: is it (or an ancestor) skipped?
        self.feed(html)

    def _hidden(self, tag: str, a: dict[str, str | None]) -> bool:
        classes = (a.get("class") or "").split()
        return (
            tag in self.SKIP
            or not (a.get("lang") or "vi").startswith("vi")  # marked as another language
            or "hidden" in a
            or "empty-form" in classes
            or "hidden" in classes
            or (a.get("id") or "").endswith("-empty")
        )

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        skipped = (self._stack[-1] if self._stack else False) or self._hidden(tag, a)
        if not skipped:
            if tag == "input" and (a.get("type") or "") in ("submit", "button") and a.get("value"):
                self.parts.append(str(a["value"]))
            self.parts.extend(str(a[n]) for n in self.ATTRS if a.get(n))
        if tag not in self.VOID:
            self._stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self._stack and self._stack[-1]):
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(self.parts)


class HiddenFields(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.values[str(a["name"])] = a.get("value") or ""


def hidden_fields(response: Any) -> dict[str, str]:
    return HiddenFields(response.content.decode()).values


def english_on(response: Any) -> list[str]:
    text = IDENTIFIER.sub(" ", VisibleText(response.content.decode()).text)
    return sorted({w for w in foreign_words(text) if w.lower() not in DATA_WORDS})


def admin_pages(client: Any) -> list[tuple[str, Any]]:
    """(what, response) for the pages of every registered model the operator may open."""
    pages: list[tuple[str, Any]] = [("index", client.get(reverse("admin:index")))]
    for model, _model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        try:
            changelist = reverse(f"admin:{info}_changelist")
        except NoReverseMatch:
            continue
        pages.append((f"{info} list", client.get(changelist)))
        pages.append((f"{info} search", client.get(changelist, {"q": "khongcogi"})))
        add = reverse(f"admin:{info}_add")
        response = client.get(add)
        if response.status_code == 200:
            pages.append((f"{info} add", response))
            # Sent as the browser would with nothing typed: the hidden fields (the inlines'
            # management forms) and no value, so the required fields answer with their errors.
            pages.append((f"{info} add empty", client.post(add, hidden_fields(response))))
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{info}_change", args=[obj.pk])
            pages.append((f"{info} change", client.get(change)))
            pages.append(
                (f"{info} history", client.get(reverse(f"admin:{info}_history", args=[obj.pk])))
            )
    return pages


def test_every_admin_page_is_vietnamese(agency, make_official, settings):
    operator = make_official(agency, roles=[Role.OPERATOR], username="quantri.test").user
    client = login_client(operator)
    client.cookies["django_language"] = "vi"
    leaks: dict[str, list[str]] = {}
    for what, response in admin_pages(client):
        if response.status_code in (302, 403, 404, 405):
            continue
        assert response.status_code == 200, (what, response.status_code)
        found = english_on(response)
        if found:
            leaks[what] = found
    assert not leaks, leaks


DJANGO = Path(django.__file__).parent
ADMIN = DJANGO / "contrib" / "admin"
# Django's own messages a user of this platform can meet, by catalogue: forms and fields (conf),
# the administration, accounts, content types. Not these: the CSRF failure page and the debug
# and welcome pages (the platform has its own pages; DEBUG is for development), the generic
# views' messages to developers.
NOT_SHOWN = {
    "CSRF verification failed. Request aborted.",
    "More information is available with DEBUG=True.",
    "The install worked successfully! Congratulations!",
    "Django Documentation",
    "Topics, references, &amp; how-to’s",
    "Tutorial: A Polling App",
    "Get started with Django",
    "Django Community",
    "Connect, get help, or contribute",
    "Page is not “last”, nor can it be converted to an int.",
    "Empty list and “%(class_name)s.allow_empty” is False.",
    "“%(path)s” does not exist",
}
# The CSRF failure and welcome pages' paragraphs, by their beginnings.
LONG_PAGE_TEXT = ("You are seeing this", "If you have configured", "If you are using", "View <a")


def untranslated(po: Path, catalog: dict[Any, str], skip: set[str] = set()) -> list[str]:
    from .test_i18n import read_po

    missing = []
    for entry in read_po(po):
        msgid = str(entry["msgid"])
        if msgid in skip or msgid.startswith(
            ("You are seeing this", "If you ", "View <a", "You are")
        ):
            continue
        key = f"{entry['msgctxt']}\x04{msgid}" if "msgctxt" in entry else msgid
        found = catalog.get((key, 0)) if "msgid_plural" in entry else catalog.get(key)
        if not found:
            missing.append(msgid)
    return missing


@pytest.mark.parametrize(
    "package", ["conf", "contrib/admin", "contrib/auth", "contrib/contenttypes", "contrib/humanize"]
)
def test_django_messages_have_vietnamese(package):
    """Every message of these Django catalogues has a Vietnamese translation, from Django's own
    catalogue or ours (egov/locale/vi/LC_MESSAGES/django.po), so a new admin page or form
    error cannot show English (a Django upgrade that adds messages fails here)."""
    from django.utils import translation

    with translation.override("vi"):
        catalog = trans_real.translation("vi")._catalog  # type: ignore[attr-defined]
    po = DJANGO / package / "locale" / "en" / "LC_MESSAGES" / "django.po"
    assert not untranslated(po, catalog, NOT_SHOWN)


def test_admin_javascript_catalogue_is_vietnamese():
    """Every message of the admin's scripts (the two-box selector, the calendar, the actions
    counter) has a Vietnamese translation, from Django's catalogue or ours (djangojs.po)."""
    from django.utils.translation.trans_real import DjangoTranslation

    vi = DjangoTranslation("vi", domain="djangojs", localedirs=[str(ADMIN / "locale")])
    po = ADMIN / "locale" / "en" / "LC_MESSAGES" / "djangojs.po"
    assert not untranslated(po, vi._catalog)  # type: ignore[attr-defined]
