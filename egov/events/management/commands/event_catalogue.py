"""Print or write docs/events.md, the event catalogue generated from the declarations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from egov.events.catalogue import markdown

DOC = Path(settings.BASE_DIR) / "docs" / "events.md"


class Command(BaseCommand):
    help = "Print the event catalogue as Markdown, or write it to docs/events.md (--write)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--write", action="store_true", help="write docs/events.md")

    def handle(self, *args: Any, **options: Any) -> None:
        text = markdown()
        if options["write"]:
            DOC.write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {DOC}")
        else:
            self.stdout.write(text)
