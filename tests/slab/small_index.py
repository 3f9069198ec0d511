"""Give a store a tiny index, so tests reach growth and migration quickly."""

from __future__ import annotations

from slab import Store
from slab._index import ItemIndex


def use_small_index(store: Store, initial_power: int, migrate_per_insert: int = 1) -> None:
    """Replace ``store``'s (empty) index by one of ``2**initial_power`` slots
    that drains ``migrate_per_insert`` old slots per insert while growing."""
    store._index = ItemIndex(
        store._pages,
        store._shift,
        store._index.page_id_bits,
        store._hdr,
        initial_power=initial_power,
        migrate_per_insert=migrate_per_insert,
    )
