import pytest
from tierkit import NOW, book, cust, order

from keyaccount.errors import DuplicateRegistration, ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.tiering import BUILT_IN_CRITERIA, Criterion, MinMax, ScoringModel

CNY = ExchangeRates.single("CNY")
ONLY_REVENUE_AND_FREQUENCY = {
    "revenue": 3.0,
    "frequency": 1.0,
    "gross_profit": 0.0,
    "loyalty": 0.0,
    "potential": 0.0,
    "credit": 0.0,
}


def three_customers() -> dict:  # type: ignore[type-arg]
    return book(
        [cust("a"), cust("b"), cust("c")],
        order("a", 5, "100"),
        order("b", 5, "100"),
        order("b", 6, "100"),
        order("b", 7, "100"),
        order("c", 5, "200"),
    )


def test_hand_computed_weighted_score_and_explanation() -> None:
    model = ScoringModel.default(ONLY_REVENUE_AND_FREQUENCY)
    scores = model.score(three_customers(), as_of=NOW, rates=CNY)
    # revenue a 100, c 200, b 300 -> 0, 50, 100; frequency a 1, c 1, b 3 -> 25, 25, 100
    assert scores["a"].score == pytest.approx(0.75 * 0 + 0.25 * 25)
    assert scores["c"].score == pytest.approx(0.75 * 50 + 0.25 * 25)
    assert scores["b"].score == pytest.approx(100.0)
    rev = scores["c"].criterion("revenue")
    assert (rev.raw, rev.score, rev.weight, rev.contribution) == (200.0, 50.0, 0.75, 37.5)
    assert sum(c.contribution for c in scores["c"].criteria) == pytest.approx(scores["c"].score)
    assert [c.name for c in scores["a"].criteria] == [c.name for c in BUILT_IN_CRITERIA]


def test_missing_raw_takes_the_missing_score() -> None:
    model = ScoringModel.default(
        {
            "potential": 1.0,
            **dict.fromkeys(["revenue", "gross_profit", "frequency", "loyalty", "credit"], 0.0),
        }
    )
    scores = model.score(three_customers(), as_of=NOW, rates=CNY, potential={"a": 5})  # type: ignore[dict-item]
    assert scores["a"].score == 100.0
    assert scores["b"].score == 50.0  # unrated: neutral
    assert scores["b"].criterion("potential").raw is None


def test_default_weights_add_to_one() -> None:
    shares = ScoringModel.default().weight_shares()
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["revenue"] == pytest.approx(0.30)


def test_empty_portfolio_scores_nothing() -> None:
    assert ScoringModel.default().score({}, as_of=NOW, rates=CNY) == {}


def test_results_are_reproducible_for_a_fixed_as_of() -> None:
    model = ScoringModel.default()
    assert model.score(three_customers(), as_of=NOW, rates=CNY) == model.score(
        three_customers(), as_of=NOW, rates=CNY
    )


@pytest.mark.parametrize(
    ("weights", "field"),
    [
        ({"revenue": -1.0}, r"ScoringModel\.weights\[revenue\]"),
        ({"nonsense": 1.0}, r"ScoringModel\.weights"),
        (dict.fromkeys(ONLY_REVENUE_AND_FREQUENCY, 0.0), r"ScoringModel\.weights"),
    ],
)
def test_bad_weights_are_rejected(weights: dict[str, float], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        ScoringModel.default(weights)


def test_extra_criterion_is_scored_and_cannot_shadow_a_built_in() -> None:
    size = Criterion(
        "size", "规模 size", lambda a, ctx: float(len(a.customer.id)), MinMax(0.0, 10.0), 1.0
    )
    model = ScoringModel.default(extra=[size])
    s = model.score(three_customers(), as_of=NOW, rates=CNY)["a"].criterion("size")
    assert (s.raw, s.score) == (1.0, 10.0)
    with pytest.raises(DuplicateRegistration):
        ScoringModel.default(extra=[Criterion("revenue", "x", lambda a, ctx: 0.0)])


def test_explanation_dict_is_json_friendly() -> None:
    scores = ScoringModel.default().score(three_customers(), as_of=NOW, rates=CNY)
    d = scores["a"].criteria[0].as_dict()
    assert set(d) == {"criterion", "label", "raw", "score", "weight", "contribution"}


def test_stored_explanation_matches_the_criterion_objects() -> None:
    scores = ScoringModel.default().score(three_customers(), as_of=NOW, rates=CNY)
    for s in scores.values():
        assert s.explanation() == tuple(c.as_dict() for c in s.criteria)
