"""The starter catalogue: about forty common procedures for a province's demo and first run.

Agencies are named by the QCVN identifiers the demo province creates (egov.demo.data), and
"@communes" stands for every commune-level People's Committee. Identifiers not present are
skipped with a warning, so the catalogue also loads on an installation without the demo; a
later run (for example after the demo's agencies exist) gives agencies to procedures that have
none. Codes, fees and times are editable data: an operator checks them against the province's
published catalogue.
"""

from __future__ import annotations

from pathlib import Path

from egov.core.actors import SYSTEM, Actor

from .io import ImportResult, import_catalog, read_json

STARTER_PATH = Path(__file__).resolve().parent / "data" / "starter_catalog.json"


def load_starter_catalog(*, actor: Actor = SYSTEM, update: bool = False) -> ImportResult:
    """Create the starter procedures that are missing (all of them with `update`)."""
    document = read_json(STARTER_PATH.read_bytes())
    return import_catalog(document, actor=actor, missing_agencies="skip", only_new=not update)
