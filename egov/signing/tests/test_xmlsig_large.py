"""edXML packages carry attachments of many megabytes: signing and verifying must cope."""

from __future__ import annotations

import base64
import os

import pytest
from lxml import etree

from egov.signing.services import identity_for_agency, sign_xml, verify_xml

pytestmark = pytest.mark.django_db


def test_a_package_with_an_8_mb_attachment_signs_and_verifies(demo_ca, agency):  # type: ignore[no-untyped-def]
    root = etree.Element("edXML")
    etree.SubElement(root, "AttachmentEncoded").text = base64.b64encode(os.urandom(8 * 1024 * 1024))
    signed = sign_xml(root, identity=identity_for_agency(agency))
    data = etree.tostring(signed)
    result = verify_xml(data)
    assert result.intact and result.valid, result.errors


def test_a_document_with_a_doctype_is_refused():
    result = verify_xml(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert not result.valid and "DTD" in result.errors[0]
