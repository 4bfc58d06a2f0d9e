"""Identity and tenancy: users, the provider, staff, clients, their sites, people and absences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from comanaged.core.models import TimeStampedModel
from comanaged.tenancy.calendar import intervals_overlap
from comanaged.tenancy.choices import (
    AbsenceKind,
    PersonKind,
    StaffRoleCode,
    Tier,
    UserLevel,
    Weekday,
)
from comanaged.tenancy.scoping import ClientOwnedQuerySet, ClientQuerySet
from comanaged.tenancy.validators import (
    holiday_subdivision_problem,
    validate_holiday_country,
    validate_time_zone,
)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("a user needs an e-mail address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: provider staff (with a StaffProfile) or a client's person.

    The e-mail address is the login, unique without regard to case. ``is_staff`` only opens
    Django's admin; what a user may see is decided by their staff roles or their person.
    """

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May open the admin pages.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ProviderSettings(TimeStampedModel):
    """The one provider (MSP) of this installation: name, currency and desk-wide choices."""

    name = models.CharField(max_length=200, default="Your MSP")
    legal_name = models.CharField(max_length=200, blank=True)
    currency = models.CharField(
        max_length=3,
        default="USD",
        help_text="ISO 4217 code of the currency every fee and invoice is in.",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    support_email = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    restrict_technicians_to_assigned_clients = models.BooleanField(
        default=False,
        help_text="When on, technicians see only the clients whose team they are on.",
    )

    class Meta:
        verbose_name = "provider settings"
        verbose_name_plural = "provider settings"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="provider_settings_singleton")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.currency = (self.currency or "").upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValidationError({"currency": "Use a three-letter ISO 4217 code, such as USD."})

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> ProviderSettings:
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row


class Vertical(TimeStampedModel):
    """An industry the provider offers a vertical desk for (R1, R12), e.g. healthcare."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Skill(TimeStampedModel):
    """A technical skill a technician can hold (e.g. Microsoft 365, Cisco, EHR systems)."""

    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffRole(models.Model):
    """One of the fixed provider roles; rows are created by migration 0002."""

    code = models.CharField(max_length=40, primary_key=True, choices=StaffRoleCode.choices)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return StaffRoleCode(self.code).label

    @classmethod
    def rows(cls, codes: Iterable[str]) -> list[StaffRole]:
        """The rows for these role codes, created if missing (a flushed database loses them)."""
        return [cls.objects.get_or_create(code=code)[0] for code in codes if code in StaffRoleCode.values]


class StaffProfile(TimeStampedModel):
    """A provider staff member: roles, technician tier, skills and verticals."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="staff_profile")
    roles = models.ManyToManyField(StaffRole, related_name="staff")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, null=True, blank=True)
    skills = models.ManyToManyField(Skill, blank=True, related_name="staff")
    verticals = models.ManyToManyField(
        Vertical, blank=True, related_name="staff", help_text="Vertical-experienced in (R1, R12)."
    )
    job_title = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["user__full_name"]

    def __str__(self) -> str:
        return str(self.user)

    def role_codes(self) -> frozenset[str]:
        if not hasattr(self, "_role_codes"):
            self._role_codes = frozenset(role.code for role in self.roles.all())
        return self._role_codes

    def has_role(self, *codes: str) -> bool:
        return bool(self.role_codes() & set(codes))


class Client(TimeStampedModel):
    """A client business with its own IT contact (the POC): its calendar and its team."""

    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(max_length=40, unique=True, help_text="Short reference, e.g. ACME.")
    is_active = models.BooleanField(default=True)
    time_zone = models.CharField(max_length=64, default="America/New_York", validators=[validate_time_zone])
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        default="US",
        validators=[validate_holiday_country],
        help_text="ISO 3166 country whose public holidays close the business-hours calendar.",
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="State / province code, e.g. NY (optional)."
    )
    team = models.ManyToManyField(
        StaffProfile,
        blank=True,
        related_name="clients",
        help_text="Staff assigned to this client (visibility for restricted roles).",
    )
    notes = models.TextField(blank=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.holiday_country = (self.holiday_country or "").upper()
        self.holiday_subdivision = (self.holiday_subdivision or "").upper()
        problem = holiday_subdivision_problem(self.holiday_country, self.holiday_subdivision)
        if problem:
            raise ValidationError({"holiday_subdivision": ValidationError(problem, code="unknown_subdivision")})


class ClientOwnedModel(TimeStampedModel):
    """A row that belongs to exactly one client; every query a user reaches is scoped by it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")

    objects = ClientOwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class BusinessHours(ClientOwnedModel):
    """One open interval of a client's week, in the client's local time (R11, R13, R16)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="business_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["client", "weekday", "opens"]
        verbose_name_plural = "business hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")) | models.Q(closes=dt.time(0)),
                name="hours_open_before_close",
            ),
        ]

    def __str__(self) -> str:
        return self.label()

    # Set by a form that checks the whole week as submitted (the admin's inline rows), where this
    # row's neighbours in the database may be about to change in the same save.
    week_checked_by_form = False

    def clean(self) -> None:
        if self.opens is None or self.closes is None:
            return
        if self.closes != dt.time(0) and self.opens >= self.closes:  # 00:00 closing means midnight
            raise ValidationError(
                {
                    "closes": ValidationError(
                        "Closing time must be after opening time (00:00 means midnight; split overnight hours in two).",
                        code="hours_inverted",
                    )
                }
            )
        other = None if self.week_checked_by_form else self.overlapping()
        if other is not None:
            raise ValidationError(
                {
                    "opens": ValidationError(
                        "%(these)s overlaps %(other)s of the same client: intervals of one day must not "
                        "overlap (merge them, or make one end where the next begins).",
                        code="hours_overlap",
                        params={"these": self.label(), "other": other},
                    )
                }
            )

    def label(self) -> str:
        day = Weekday(self.weekday).label if self.weekday in Weekday.values else f"Day {self.weekday}"
        return f"{day} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def overlapping(self) -> BusinessHours | None:
        """Another stored interval of the same client and weekday sharing time with this one."""
        if self.opens is None or self.closes is None or self.weekday is None or not self.client_id:
            return None
        others = BusinessHours.objects.filter(client_id=self.client_id, weekday=self.weekday).exclude(pk=self.pk)
        for other in others:
            if intervals_overlap((self.opens, self.closes), (other.opens, other.closes)):
                return other
        return None


class Closure(ClientOwnedModel):
    """A provider-defined day the client's business calendar is closed (besides holidays)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["client", "date"]
        constraints = [models.UniqueConstraint(fields=["client", "date"], name="closure_unique_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}"


class Site(ClientOwnedModel):
    """An office or other location of a client. Supported offices are listed on the agreement (R26)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(max_length=120)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, default="US")
    is_office = models.BooleanField(default=True, help_text="An office of the client (not a home or remote property).")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["client", "name"]
        constraints = [models.UniqueConstraint(fields=["client", "name"], name="site_unique_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.client})" if self.client_id else self.name


class Person(ClientOwnedModel):
    """Someone of a client: a POC or an end-user at a user level (R6, R8), maybe signing in."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="people")
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile = models.CharField(max_length=40, blank=True)
    job_title = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=20, choices=PersonKind.choices, default=PersonKind.EMPLOYEE)
    level = models.CharField(
        max_length=20,
        choices=UserLevel.choices,
        blank=True,
        help_text="User level (R6). Only people (employees, contractors) have one.",
    )
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.SET_NULL, related_name="people")
    user = models.OneToOneField(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        help_text="Sign-in account, if this person uses the portal.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["client", "full_name"]
        verbose_name_plural = "people"
        indexes = [models.Index(fields=["client", "level"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_poc(self) -> bool:
        return self.level == UserLevel.POC

    @property
    def is_human(self) -> bool:
        return self.kind in PersonKind.humans()


class Absence(ClientOwnedModel):
    """PTO or sick leave of a POC: while no POC is available, Co-managed+ coverage opens (R11)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="absences")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="absences")
    kind = models.CharField(max_length=10, choices=AbsenceKind.choices, default=AbsenceKind.PTO)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["client", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="absence_starts_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()} {self.starts_at:%Y-%m-%d}→{self.ends_at:%Y-%m-%d}"
