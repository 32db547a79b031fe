"""Stores and products, and which stores a staff user may see."""

from decimal import Decimal

from django.db import transaction

from kesheng.commerce.models import (
    Product,
    Store,
    StoreAccess,
)
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit


def save_store(
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    city: str = "",
    region: str = "",
    address: str = "",
    opened_on=None,
    is_active: bool = True,
) -> Store:
    """Create the store with this code or update its details (master data from the back office
    or the demo data). Saving the same details twice changes nothing and emits nothing; a
    change emits ``store.saved``."""
    details = {
        "name_zh": name_zh,
        "name_en": name_en,
        "city": city,
        "region": region,
        "address": address,
        "opened_on": opened_on,
        "is_active": is_active,
    }
    with transaction.atomic():
        store, created = Store.objects.select_for_update().get_or_create(
            code=code, defaults=details
        )
        changed = [name for name, value in details.items() if getattr(store, name) != value]
        for name in changed:
            setattr(store, name, details[name])
        if changed:
            store.save(update_fields=[*changed, "updated_at"])
        if created or changed:
            emit("store.saved", {"code": code, "created": created})
    return store


def save_product(
    *,
    sku: str,
    name_zh: str,
    name_en: str = "",
    category: str = "",
    price: Decimal | None = None,
    currency: str = "CNY",
) -> Product:
    """Create the product with this SKU or update its details; unchanged details change nothing.
    Emits ``product.saved`` when something changed."""
    details = {
        "name_zh": name_zh,
        "name_en": name_en,
        "category": category,
        "price": price,
        "currency": currency,
    }
    with transaction.atomic():
        product, created = Product.objects.select_for_update().get_or_create(
            sku=sku, defaults=details
        )
        changed = [name for name, value in details.items() if getattr(product, name) != value]
        for name in changed:
            setattr(product, name, details[name])
        if changed:
            product.save(update_fields=[*changed, "updated_at"])
        if created or changed:
            emit("product.saved", {"sku": sku, "created": created})
    return product


def grant_store_access(*, user, store_codes: list[str]) -> int:
    """Give a staff member the stores with these codes (a store manager then sees only them);
    unknown codes raise InvalidInput naming them and nothing changes. Returns how many were
    new. Emits ``store_access.granted``."""
    stores = list(Store.objects.filter(code__in=store_codes))
    unknown = sorted(set(store_codes) - {store.code for store in stores})
    if unknown:
        raise InvalidInput([FieldError("stores", f"unknown store code {code}") for code in unknown])
    with transaction.atomic():
        created = [StoreAccess.objects.get_or_create(user=user, store=store)[1] for store in stores]
        emit(
            "store_access.granted",
            {"user_id": user.pk, "stores": sorted(store.code for store in stores)},
        )
    return sum(created)
