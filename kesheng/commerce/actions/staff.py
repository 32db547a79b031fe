"""Staff members who serve customers: saved one by one or imported in bulk."""

from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from kesheng.commerce.actions.orders import _CODE
from kesheng.commerce.models import (
    StaffMember,
    Store,
)
from kesheng.core.errors import FieldError, InvalidInput
from kesheng.core.events import emit

STAFF_NAME_MAX_LENGTH = 100


class StaffMemberInput(NamedTuple):
    """One checked staff member of an import; None leaves the stored value alone."""

    code: str
    name: str
    store: str | None = None
    is_active: bool | None = None


def check_staff_code(code: str) -> str | None:
    """The reason ``code`` cannot be a staff member's code, or None when it can."""
    if not code:
        return "is required"
    if not _CODE.match(code):
        return f"{code!r} is not a staff code (letters, digits, _ or -, up to 40)"
    return None


def save_staff_member(
    *, code: str, name: str, store: Store | None = None, is_active: bool = True
) -> StaffMember:
    """Create the staff member with this code or update their name, store and active flag
    (the back office, the demo data, scripts). Raises InvalidInput for a bad code or name.
    Saving the same details twice changes nothing and emits nothing; a change emits
    ``staff_member.saved``."""
    code = code.strip()
    name = name.strip()
    errors = []
    if reason := check_staff_code(code):
        errors.append(FieldError("code", reason))
    if not name:
        errors.append(FieldError("name", "is required"))
    elif len(name) > STAFF_NAME_MAX_LENGTH:
        errors.append(FieldError("name", f"is longer than {STAFF_NAME_MAX_LENGTH} characters"))
    if errors:
        raise InvalidInput(errors)
    details = {"name": name, "store_id": store.pk if store else None, "is_active": is_active}
    with transaction.atomic():
        member, created = StaffMember.objects.select_for_update().get_or_create(
            code=code, defaults=details
        )
        changed = [key for key, value in details.items() if getattr(member, key) != value]
        for key in changed:
            setattr(member, key, details[key])
        if changed:
            member.save(update_fields=[*changed, "updated_at"])
        if created or changed:
            emit("staff_member.saved", {"code": code, "created": created})
    return member


def write_staff_members(members: list[StaffMemberInput]) -> tuple[int, int, int]:
    """Create or update staff members from an import (store codes already checked to exist):
    a None field leaves the stored value alone. Returns (created, updated, unchanged) and
    emits one ``staff_members.imported`` when something changed."""
    stores = dict(
        Store.objects.filter(code__in={m.store for m in members if m.store}).values_list(
            "code", "pk"
        )
    )
    existing = {
        member.code: member
        for member in StaffMember.objects.filter(code__in=[m.code for m in members])
    }
    new_members, changed_members = [], []
    for member in members:
        store_id = stores[member.store] if member.store else None
        current = existing.get(member.code)
        if current is None:
            new_members.append(
                StaffMember(
                    code=member.code,
                    name=member.name,
                    store_id=store_id,
                    is_active=True if member.is_active is None else member.is_active,
                )
            )
            continue
        wanted = {"name": member.name}
        if member.store:
            wanted["store_id"] = store_id
        if member.is_active is not None:
            wanted["is_active"] = member.is_active
        if any(getattr(current, key) != value for key, value in wanted.items()):
            for key, value in wanted.items():
                setattr(current, key, value)
            current.updated_at = timezone.now()
            changed_members.append(current)
    with transaction.atomic():
        StaffMember.objects.bulk_create(new_members, batch_size=1000)
        StaffMember.objects.bulk_update(
            changed_members, ["name", "store", "is_active", "updated_at"], batch_size=1000
        )
        if new_members or changed_members:
            emit(
                "staff_members.imported",
                {"created": len(new_members), "updated": len(changed_members)},
            )
    unchanged = len(members) - len(new_members) - len(changed_members)
    return len(new_members), len(changed_members), unchanged
