"""How the demo agencies collect fees (egov.payments.Collector): each department and commune
issues electronic receipts under template 01BLP0-001 in its own series, and takes VietQR
transfers into a demo account at VietinBank (NAPAS BIN 970415, a real bank code so that banking
apps read the QR). Tax codes carry a valid check digit but belong to nobody, and the accounts
are made up: never load the demo on a production database.

The Department of Justice has an accountant (`stp.ketoan`, data.ACCOUNTANT) who imports bank
statements, reconciles and handles refunds.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from egov.org.models import Agency
from egov.payments.models import Collector

from .data import AGENCIES

RECEIPT_TEMPLATE = "01BLP0-001"
BANK_BIN = "970415"
BANK_NAME = "Ngân hàng TMCP Công thương Việt Nam (VietinBank)"


@dataclass(frozen=True)
class CollectorSpec:
    key: str
    series: str  # ký hiệu biên lai: the agency's letters, the year (26), E for electronic
    tax_code: str
    account: str
    account_name: str  # as the bank prints it: capitals, no diacritics


COLLECTORS: tuple[CollectorSpec, ...] = (
    CollectorSpec("stp", "TP-26E", "5700100104", "113000000101", "SO TU PHAP TINH QUANG NINH"),
    CollectorSpec("sxd", "XD-26E", "5700100111", "113000000102", "SO XAY DUNG TINH QUANG NINH"),
    CollectorSpec(
        "snnmt", "NM-26E", "5700100129", "113000000103", "SO NONG NGHIEP VA MOI TRUONG QUANG NINH"
    ),
    CollectorSpec("stc", "TC-26E", "5700100136", "113000000104", "SO TAI CHINH TINH QUANG NINH"),
    CollectorSpec("syt", "YT-26E", "5700100143", "113000000105", "SO Y TE TINH QUANG NINH"),
    CollectorSpec("snv", "NV-26E", "5700100150", "113000000106", "SO NOI VU TINH QUANG NINH"),
    CollectorSpec("halong", "HL-26E", "5700100168", "113000000107", "UBND PHUONG HA LONG"),
    CollectorSpec("baichay", "BC-26E", "5700100175", "113000000108", "UBND PHUONG BAI CHAY"),
    CollectorSpec("vandon", "VD-26E", "5700100182", "113000000109", "UBND DAC KHU VAN DON"),
)


def load_demo_collectors() -> int:
    """Set up how each demo agency collects, unless an operator already did; returns how many
    were created."""
    identifiers = {a.key: a.identifier for a in AGENCIES}
    agencies = {a.identifier: a for a in Agency.objects.filter(identifier__in=identifiers.values())}
    configured = set(Collector.objects.values_list("agency_id", flat=True))
    created = 0
    with transaction.atomic():
        for spec in COLLECTORS:
            agency = agencies.get(identifiers[spec.key])
            if agency is None or agency.pk in configured:
                continue
            Collector.objects.create(
                agency=agency,
                name=agency.name,
                tax_code=spec.tax_code,
                address=agency.address,
                receipt_template=RECEIPT_TEMPLATE,
                receipt_series=spec.series,
                bank_bin=BANK_BIN,
                bank_name=BANK_NAME,
                bank_account=spec.account,
                bank_account_name=spec.account_name,
            )
            created += 1
    return created
