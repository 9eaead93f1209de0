"""Tier sets: the ordered tiers (best first) a book is sorted into, with display names.

The three ready-made sets share the codes ``A``/``B``/``C`` so the default ``PolicyBook``
(service entitlements by tier code) serves all of them; only the display names differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError


@attrs.frozen
class Tier:
    code: str = attrs.field(validator=v.non_empty_text)
    display_name: str = attrs.field(validator=v.non_empty_text)


def _tiers(value: Any) -> tuple[Tier, ...]:
    if not isinstance(value, Iterable) or isinstance(value, str | bytes):
        raise ValidationError("TierSet.tiers", value, "must be a sequence of Tier")
    tiers = tuple(value)
    if len(tiers) < 2:
        raise ValidationError("TierSet.tiers", value, "needs at least two tiers")
    codes = [t.code if isinstance(t, Tier) else None for t in tiers]
    if None in codes:
        raise ValidationError("TierSet.tiers", value, "must contain only Tier")
    if len(set(codes)) != len(codes):
        raise ValidationError("TierSet.tiers", codes, "has duplicate tier codes")
    return tiers


@attrs.frozen
class TierSet:
    """Tiers ordered best first; ``index(code)`` is 0 for the best tier."""

    name: str = attrs.field(validator=v.non_empty_text)
    tiers: tuple[Tier, ...] = attrs.field(converter=_tiers)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.tiers)

    def index(self, code: str | None) -> int | None:
        """Position of ``code`` (0 = best), or None if the code is not in this set."""
        if code is None:
            return None
        for i, t in enumerate(self.tiers):
            if t.code == code:
                return i
        return None

    def display_name(self, code: str) -> str:
        i = self.index(code)
        if i is None:
            raise ValidationError("TierSet.tier", code, f"is not a tier of {self.name}")
        return self.tiers[i].display_name


ABC = TierSet("ABC", (Tier("A", "A 类客户"), Tier("B", "B 类客户"), Tier("C", "C 类客户")))
STRATEGIC_KEY_ORDINARY = TierSet(
    "战略/重点/普通",
    (
        Tier("A", "战略客户 (strategic)"),
        Tier("B", "重点客户 (key)"),
        Tier("C", "普通客户 (ordinary)"),
    ),
)
VIP_IMPORTANT_ORDINARY = TierSet(
    "VIP/重要/普通",
    (
        Tier("A", "VIP客户 (VIP)"),
        Tier("B", "重要客户 (important)"),
        Tier("C", "普通客户 (ordinary)"),
    ),
)

READY_MADE: dict[str, TierSet] = {
    "abc": ABC,
    "strategic": STRATEGIC_KEY_ORDINARY,
    "vip": VIP_IMPORTANT_ORDINARY,
}
