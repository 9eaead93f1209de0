from datetime import timedelta

import pytest
from tierkit import NOW

from keyaccount.errors import ValidationError
from keyaccount.models import CustomerId
from keyaccount.tiering import (
    ABC,
    STRATEGIC_KEY_ORDINARY,
    Hysteresis,
    RankShare,
    ScoreThresholds,
    Tier,
    TierOverride,
    TierSet,
    assign_tiers,
)
from keyaccount.tiering.scoring import CustomerScore

THRESHOLDS = ScoreThresholds({"A": 70, "B": 40})


def scores(**values: float) -> dict[CustomerId, CustomerScore]:
    return {CustomerId(k): CustomerScore(CustomerId(k), v) for k, v in values.items()}


def tiers(**kw: object) -> dict[str, str]:
    decided = assign_tiers(as_of=NOW, **kw)  # type: ignore[arg-type]
    return {cid: d.tier for cid, d in decided.items()}


def test_thresholds_are_inclusive_minimums() -> None:
    got = tiers(scores=scores(a=70, b=69.99, c=40, d=39.9), tier_set=ABC, rule=THRESHOLDS)
    assert got == {"a": "A", "b": "B", "c": "B", "d": "C"}


def test_thresholds_must_name_upper_tiers_and_not_rise() -> None:
    with pytest.raises(ValidationError, match=r"ScoreThresholds\.minimums"):
        tiers(scores=scores(a=1), tier_set=ABC, rule=ScoreThresholds({"A": 70}))
    with pytest.raises(ValidationError, match="must not rise"):
        tiers(scores=scores(a=1), tier_set=ABC, rule=ScoreThresholds({"A": 40, "B": 70}))
    with pytest.raises(ValidationError, match=r"ScoreThresholds\.minimums\[A\]"):
        ScoreThresholds({"A": -1, "B": 0})


def test_rank_share_top_twenty_percent() -> None:
    s = scores(**{f"c{i:02d}": float(i * 10) for i in range(1, 11)})
    got = tiers(scores=s, tier_set=ABC, rule=RankShare({"A": 0.2, "B": 0.3}))
    assert [got[f"c{i:02d}"] for i in range(10, 0, -1)] == list("AABBBCCCCC")


def test_rank_share_rounds_half_up_and_breaks_ties_by_id() -> None:
    rule = RankShare({"A": 0.2, "B": 0.3})
    # 3 customers: round(0.6) = 1 A, round(1.5) = 2 -> one B
    assert tiers(scores=scores(x=1, y=2, z=3), tier_set=ABC, rule=rule) == {
        "z": "A",
        "y": "B",
        "x": "C",
    }
    tied = tiers(scores=scores(b=50, a=50), tier_set=ABC, rule=RankShare({"A": 0.5, "B": 0.0}))
    assert tied == {"a": "A", "b": "C"}


def test_rank_share_must_not_exceed_the_book() -> None:
    with pytest.raises(ValidationError, match="at most 1"):
        RankShare({"A": 0.7, "B": 0.4})


def test_empty_portfolio() -> None:
    assert tiers(scores={}, tier_set=ABC, rule=RankShare({"A": 0.2, "B": 0.3})) == {}


@pytest.mark.parametrize(
    ("previous", "score", "expected"),
    [
        ("B", 72.0, "B"),  # reaches A (70) but not by the margin (75)
        ("B", 75.0, "A"),
        ("A", 66.0, "A"),  # below 70 but above 65
        ("A", 64.9, "B"),
        ("A", 37.0, "B"),  # below B's 40 but within its margin: one step only
        ("A", 30.0, "C"),
        ("C", 44.0, "C"),
        ("C", 80.0, "A"),  # clears A's boundary by the margin too
        ("C", 72.0, "B"),  # clears B by the margin, A not
        (None, 72.0, "A"),  # new customers get the score's tier
        ("VIP", 72.0, "A"),  # a tier of another set is no reference
    ],
)
def test_hysteresis_needs_the_margin_to_cross(
    previous: str | None, score: float, expected: str
) -> None:
    decided = assign_tiers(
        scores(c=score),
        ABC,
        THRESHOLDS,
        as_of=NOW,
        previous={CustomerId("c"): previous},
        hysteresis=Hysteresis(5.0),
    )
    assert decided[CustomerId("c")].computed_tier == expected


def test_hysteresis_reason_names_the_margin() -> None:
    d = assign_tiers(
        scores(c=72),
        ABC,
        THRESHOLDS,
        as_of=NOW,
        previous={CustomerId("c"): "B"},
        hysteresis=Hysteresis(5.0),
    )[CustomerId("c")]
    assert d.base_tier == "A"
    assert d.tier == "B"
    assert "margin 5" in d.reason
    assert not d.changed


def test_hysteresis_under_rank_share_uses_the_cut_scores() -> None:
    s = scores(a=90, b=80, c=79, d=10, e=5)
    # A = top 1 (a, boundary 90); B = next 2 (b, c; boundary 79)
    decided = assign_tiers(
        s,
        ABC,
        RankShare({"A": 0.2, "B": 0.4}),
        as_of=NOW,
        previous={CustomerId("b"): "A"},
        hysteresis=Hysteresis(15.0),
    )
    assert decided[CustomerId("b")].base_tier == "B"
    assert decided[CustomerId("b")].tier == "A"  # 80 >= 90 - 15


def test_hysteresis_margin_is_validated() -> None:
    with pytest.raises(ValidationError, match=r"Hysteresis\.margin"):
        Hysteresis(-1.0)


def override(tier: str, start_days_ago: int, end_days_ahead: float) -> TierOverride:
    return TierOverride(
        "o1",
        CustomerId("c"),
        tier,
        "strategic partner",
        "director-li",
        NOW - timedelta(days=start_days_ago),
        NOW + timedelta(days=end_days_ahead),
    )


def test_active_override_replaces_the_tier_and_keeps_the_computed_one() -> None:
    d = assign_tiers(
        scores(c=10), ABC, THRESHOLDS, as_of=NOW, overrides={CustomerId("c"): override("A", 1, 30)}
    )[CustomerId("c")]
    assert (d.tier, d.computed_tier, d.override_id) == ("A", "C", "o1")
    assert "director-li" in d.reason
    assert "strategic partner" in d.reason


def test_override_expires_at_its_end() -> None:
    ended = override("A", 30, 0)  # expires_at == as_of: no longer in force
    d = assign_tiers(scores(c=10), ABC, THRESHOLDS, as_of=NOW, overrides={CustomerId("c"): ended})
    assert d[CustomerId("c")].tier == "C"
    assert d[CustomerId("c")].override_id is None


def test_override_must_use_a_tier_of_the_set() -> None:
    with pytest.raises(ValidationError, match=r"TierOverride\.tier"):
        assign_tiers(
            scores(c=10),
            ABC,
            THRESHOLDS,
            as_of=NOW,
            overrides={CustomerId("c"): override("S", 1, 3)},
        )


def test_override_needs_expiry_after_creation_and_a_reason() -> None:
    with pytest.raises(ValidationError, match=r"TierOverride\.expires_at"):
        override("A", 0, 0)
    with pytest.raises(ValidationError, match=r"TierOverride\.reason"):
        TierOverride("o", CustomerId("c"), "A", " ", "x", NOW, NOW + timedelta(days=1))


def test_ready_made_sets_share_codes_and_custom_sets_work() -> None:
    assert STRATEGIC_KEY_ORDINARY.codes == ("A", "B", "C")
    assert STRATEGIC_KEY_ORDINARY.display_name("A").startswith("战略客户")
    four = TierSet("SABC", tuple(Tier(c, f"{c} tier") for c in "SABC"))
    got = tiers(
        scores=scores(a=95, b=75, c=45, d=5),
        tier_set=four,
        rule=ScoreThresholds({"S": 90, "A": 70, "B": 40}),
    )
    assert got == {"a": "S", "b": "A", "c": "B", "d": "C"}
    with pytest.raises(ValidationError, match="duplicate"):
        TierSet("bad", (ABC.tiers[0], ABC.tiers[0]))
