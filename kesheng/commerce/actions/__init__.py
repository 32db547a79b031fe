"""State changes of commerce, split by topic; the public names are re-exported here."""

from kesheng.commerce.actions.orders import (
    MAX_LINE_QUANTITY,
    MAX_LINES_PER_ORDER,
    OrderInput,
    OrderLineInput,
    OrderReferences,
    ensure_products,
    ensure_stores,
    parse_order_item,
    prepare_orders,
    record_orders,
    write_orders,
)
from kesheng.commerce.actions.refunds import cancel_order, refund_order
from kesheng.commerce.actions.staff import (
    STAFF_NAME_MAX_LENGTH,
    StaffMemberInput,
    check_staff_code,
    save_staff_member,
    write_staff_members,
)
from kesheng.commerce.actions.stores import grant_store_access, save_product, save_store

__all__ = [
    "MAX_LINES_PER_ORDER",
    "MAX_LINE_QUANTITY",
    "STAFF_NAME_MAX_LENGTH",
    "OrderInput",
    "OrderLineInput",
    "OrderReferences",
    "StaffMemberInput",
    "cancel_order",
    "check_staff_code",
    "ensure_products",
    "ensure_stores",
    "grant_store_access",
    "parse_order_item",
    "prepare_orders",
    "record_orders",
    "refund_order",
    "save_product",
    "save_staff_member",
    "save_store",
    "write_orders",
    "write_staff_members",
]
