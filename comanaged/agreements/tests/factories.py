"""Factories for agreements."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from comanaged.agreements.choices import BackupService, Plan
from comanaged.agreements.models import Agreement, VendorCoverage
from comanaged.agreements.services import _next_reference
from comanaged.tenancy.tests.factories import ClientFactory, make_staff


class AgreementFactory(factory.django.DjangoModelFactory[Agreement]):
    """A draft agreement with every term activation needs (R2, R3, R5, R6)."""

    class Meta:
        model = Agreement

    client = factory.SubFactory(ClientFactory)
    reference = factory.LazyFunction(_next_reference)
    plan = Plan.CO_MANAGED
    starts_on = dt.date(2026, 1, 1)
    extra_poc_monthly_fee = Decimal("125.00")
    end_user_monthly_fee = Decimal("95.00")
    vip_monthly_fee = Decimal("135.00")
    partial_monthly_fee = Decimal("55.00")
    email_only_monthly_fee = Decimal("18.00")
    backup_service = BackupService.SERVER_BACKUP
    backup_monthly_price = Decimal("650.00")
    strategic_advisor = factory.LazyFunction(lambda: make_staff("strategic_advisor"))
    technology_alignment_engineer = factory.LazyFunction(lambda: make_staff("technology_alignment_engineer"))


class VendorCoverageFactory(factory.django.DjangoModelFactory[VendorCoverage]):
    class Meta:
        model = VendorCoverage

    client = factory.SubFactory(ClientFactory)
    vendor = "Dell"
    covers = "PowerEdge servers"
    expires_on = dt.date(2030, 1, 1)
    provider_is_authorized_user = True
