"""Stores, products, orders and order lines. Money is Decimal with its currency."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesheng.core.models import LocalizedNameMixin, TimestampedModel
from kesheng.customers.models import Customer
from kesheng.tracking.models import Channel


class Store(LocalizedNameMixin, TimestampedModel):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    city = models.CharField(_("city"), max_length=100, blank=True, db_index=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["code"]


class StaffMember(TimestampedModel):
    """Someone who serves customers (店员, 导购): responses can say who served the respondent,
    so scores break down by staff member. Not a user of Kesheng: most never log in."""

    # Case-sensitive like store codes: "A01" and "a01" are two people.
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        related_name="staff_members",
        null=True,
        blank=True,
        verbose_name=_("store"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Product(LocalizedNameMixin, TimestampedModel):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    category = models.CharField(_("category"), max_length=100, blank=True, db_index=True)
    price = models.DecimalField(_("list price"), max_digits=14, decimal_places=2, null=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("placed")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    REFUNDED = "refunded", _("refunded")


class Order(models.Model):
    """A purchase; idempotent on the business's own order_id."""

    order_id = models.CharField(_("order id"), max_length=100, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="orders")
    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="orders", null=True, blank=True
    )
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="orders")
    ordered_at = models.DateTimeField(_("ordered at"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.PLACED
    )
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["customer", "-ordered_at"], name="order_customer_time_idx"),
            models.Index(fields=["ordered_at"], name="order_time_idx"),
            models.Index(fields=["store", "ordered_at"], name="order_store_time_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0")), name="order_amount_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.order_id


class OrderRefund(models.Model):
    """Money given back on an order, whole or in part; idempotent on the caller's refund_id
    within the order. The refunds of an order never add up to more than its amount."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    refund_id = models.CharField(_("refund id"), max_length=100)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(fields=["order", "refund_id"], name="refund_once_per_order"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal("0")), name="refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.refund_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", null=True, blank=True
    )
    sku = models.CharField(_("SKU"), max_length=64)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class StoreAccess(models.Model):
    """A staff member's store: a store manager sees the numbers, comments and cases of their
    stores only (``commerce.queries.visible_store_ids``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="store_access",
        verbose_name=_("staff member"),
    )
    store = models.ForeignKey(
        Store, on_delete=models.CASCADE, related_name="staff_access", verbose_name=_("store")
    )

    class Meta:
        verbose_name = _("store access")
        verbose_name_plural = _("store access")
        constraints = [
            models.UniqueConstraint(fields=["user", "store"], name="store_access_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.store}"
