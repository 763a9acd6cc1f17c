"""The payments app's fixtures (its agency staff with an accountant, the collector, the
criminal-record procedure with its fee, `submit`) for the payment figures of the dashboard and
the 766 index; they stand in for the dossier history fixtures of the parent directory here."""

from egov.payments.tests.conftest import (  # noqa: F401 - fixtures
    collector,
    criminal_record,
    payment_settings,
    staff,
    submit,
)
