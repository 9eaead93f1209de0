import pytest

from keyaccount.errors import ValidationError
from keyaccount.tiering import MinMax, PercentileRank


def test_percentile_rank_lowest_zero_highest_hundred_ties_share() -> None:
    scores = PercentileRank().scores({"a": 10.0, "b": 20.0, "c": 20.0, "d": 40.0})
    # n = 4, span 3: b and c have 1 below and 2 equal -> (1 + 0.5) / 3
    assert scores == {"a": 0.0, "b": 50.0, "c": 50.0, "d": 100.0}


def test_percentile_rank_ignores_outlier_size() -> None:
    small = PercentileRank().scores({"a": 1.0, "b": 2.0, "c": 3.0})
    huge = PercentileRank().scores({"a": 1.0, "b": 2.0, "c": 3_000_000.0})
    assert small == huge == {"a": 0.0, "b": 50.0, "c": 100.0}


@pytest.mark.parametrize("raw", [{"only": 5.0}, {"a": 3.0, "b": 3.0, "c": 3.0}])
def test_percentile_rank_without_comparison_is_fifty(raw: dict[str, float]) -> None:
    assert set(PercentileRank().scores(raw).values()) == {50.0}


def test_empty_book_scores_nothing() -> None:
    assert PercentileRank().scores({}) == {}
    assert MinMax().scores({}) == {}


def test_min_max_with_caps_clamps() -> None:
    assert MinMax(0.0, 100.0).scores({"x": -5.0, "y": 50.0, "z": 150.0}) == {
        "x": 0.0,
        "y": 50.0,
        "z": 100.0,
    }


def test_min_max_without_caps_uses_book_range() -> None:
    assert MinMax().scores({"a": 2.0, "b": 4.0, "c": 6.0}) == {"a": 0.0, "b": 50.0, "c": 100.0}
    assert MinMax().scores({"a": 4.0, "b": 4.0}) == {"a": 50.0, "b": 50.0}


def test_min_max_with_one_cap() -> None:
    # lower cap 0, upper from the book (8)
    assert MinMax(low=0.0).scores({"a": 2.0, "b": 8.0}) == {"a": 25.0, "b": 100.0}


def test_min_max_rejects_inverted_caps() -> None:
    with pytest.raises(ValidationError, match=r"MinMax\.high"):
        MinMax(5.0, 5.0)


def test_methods_are_stated() -> None:
    assert "percentile" in PercentileRank().method
    assert MinMax(1.0, 5.0).method == "min-max from 1 (0) to 5 (100), capped"
