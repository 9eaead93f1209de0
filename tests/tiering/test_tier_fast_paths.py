"""The bulk paths of a tiering run give exactly what the plain definitions give."""

import bisect
import math
import random

from keyaccount.models import CustomerId
from keyaccount.tiering import PercentileRank
from keyaccount.tiering.scoring import CustomerScore, ScoreLayout, explanations


def _bisected_ranks(raw: dict[str, float]) -> dict[str, float]:
    # The stated definition: below / equal counted by bisecting the sorted values.
    n = len(raw)
    if n == 1:
        return dict.fromkeys(raw, 50.0)
    ordered = sorted(raw.values())
    if ordered[0] == ordered[-1]:
        return dict.fromkeys(raw, 50.0)
    out = {}
    for key, x in raw.items():
        below = bisect.bisect_left(ordered, x)
        equal = bisect.bisect_right(ordered, x) - below
        out[key] = 100.0 * (below + (equal - 1) / 2) / (n - 1)
    return out


def test_percentile_rank_matches_the_bisecting_definition_bit_for_bit() -> None:
    rng = random.Random(7)
    for _ in range(500):
        pool = [rng.choice([0.0, -0.0, 1.0, 2.5, -3.0, rng.random()]) for _ in range(5)]
        raw = {f"c{i}": rng.choice(pool) for i in range(rng.randrange(1, 40))}
        got = PercentileRank().scores(raw)
        want = _bisected_ranks(raw)
        assert list(got) == list(want)
        assert [(x, math.copysign(1, x)) for x in got.values()] == [
            (x, math.copysign(1, x)) for x in want.values()
        ]


def test_percentile_rank_with_nan_keeps_the_bisecting_answer() -> None:
    nan = float("nan")
    raw = {"a": 1.0, "b": nan, "c": 0.5, "d": 1.0}
    assert repr(PercentileRank().scores(raw)) == repr(_bisected_ranks(raw))
    same = {"a": nan, "b": nan}
    assert repr(PercentileRank().scores(same)) == repr(_bisected_ranks(same))


def test_explanations_equal_explanation_including_zeros_ints_and_repeats() -> None:
    layout = ScoreLayout(("x", "y", "z"), ("X", "Y", "Z"), (0.5, 0.3, 0.2), ("m", "m", "m"))
    rows = [
        ((12.345678, None, 3), (33.333333333, 50, 0.0)),
        ((12.345678, -0.0, 0.0), (33.333333333, -0.0, 100.0)),
        ((-0.0, 1e-9, 7.77777777), (0.0, 66.66666666, 12.5)),
        ((12.345678, None, 3.0), (33.333333333, 50.0, 0.0)),
        ((0.0, 0.0, -0.0), (-0.0, 0.0, -0.0)),
    ]
    scores = [
        CustomerScore(CustomerId(f"c{i}"), 0.0, raw, scored, layout)
        for i, (raw, scored) in enumerate(rows * 2)
    ]
    got = explanations(scores)
    want = [cs.explanation() for cs in scores]
    assert repr(got) == repr(want)  # repr tells -0.0 from 0.0 and 3 from 3.0
    assert got[0][0] is not got[4][0]
    other = ScoreLayout(("x",), ("X",), (1.0,), ("m",))
    mixed = [*scores[:2], CustomerScore(CustomerId("o"), 0.0, (2.0,), (3.0,), other)]
    assert explanations(mixed) == [cs.explanation() for cs in mixed]
    assert explanations([]) == []


def test_one_currency_window_figures_equal_the_per_currency_sums() -> None:
    from tierkit import order, refund

    from keyaccount.tiering.criteria import _figures_by_currency, _one_currency_figures

    cny = (order("c1", 9, "10.5", "1.25"), refund("c1", 8, "-0.50", "-0.1"), order("c1", 7, "3"))
    got = _one_currency_figures(cny)
    assert repr(got) == repr(_figures_by_currency(cny))
    assert got is not None and got.orders == 2
    assert repr(_one_currency_figures(())) == repr(_figures_by_currency(()))
    mixed = (*cny, order("c1", 6, "2", "1", cur="USD"))
    assert _one_currency_figures(mixed) is None
    assert _figures_by_currency(mixed).revenue["USD"] == 2


def test_convert_totals_single_currency_shortcut_gives_the_loops_decimal() -> None:
    from decimal import Decimal

    from keyaccount.activity import convert_totals
    from keyaccount.fx import ExchangeRates

    rates = ExchangeRates("CNY", {"USD": Decimal("7")})
    for amount in (Decimal("1.50"), Decimal("-0.00"), Decimal("0"), Decimal("1E+3")):
        looped = Decimal(0)
        looped += amount
        assert repr(convert_totals({"CNY": amount}, rates)) == repr(looped)
    assert convert_totals({"USD": Decimal("2")}, rates) == Decimal(14)


def test_round4_equals_round_bit_for_bit() -> None:
    import struct

    from keyaccount.tiering.scoring import round4

    rng = random.Random(11)
    edge = [0.0, -0.0, 5e-5, -5e-5, 4.9999e-5, 0.03125, -0.03125, 1e8, 1e8 + 0.00005, 12.34565,
            99.99995, 1e300, -1e-300, math.inf, -math.inf, 5e-324]  # fmt: skip
    values = [
        *edge,
        *(rng.uniform(-200, 200) for _ in range(100_000)),
        *(rng.randrange(-10**6, 10**6) / 10_000 + rng.choice((0, 5e-5, -5e-5, 1e-12))
          for _ in range(100_000)),
        *(rng.uniform(-1e9, 1e9) for _ in range(100_000)),
        *(struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(50_000)),
    ]  # fmt: skip
    for x in values:
        assert repr(round4(x)) == repr(round(x, 4)), x


def test_rounded_columns_equal_round_value_by_value() -> None:
    from keyaccount.tiering.scoring import _rounded

    nan = float("nan")
    floats = [12.345678, -0.0, 0.0, None, 1e-9, 12.345678, 5e-5, -7.77777, nan, math.inf, 3e13]
    mixed = [*floats[:4], 3, 0, 3.0, -0.0]
    for column in (floats, mixed, [None, None], []):
        want = [None if x is None else round(x, 4) for x in column]
        assert repr(_rounded(column, None)) == repr([want])
    factors = (0.3, 0.0, -0.0, 1.0)
    for column in ([x for x in floats if x is not None], [x for x in mixed if x is not None]):
        want = [[round(factor * x, 4) for x in column] for factor in factors]
        assert repr(_rounded(column, *factors)) == repr(want)


def test_ranking_and_reasons_equal_their_plain_definitions() -> None:
    from tierkit import NOW

    from keyaccount.tiering import ABC, Hysteresis, RankShare, ScoreThresholds, assign_tiers
    from keyaccount.tiering.assign import _ranked, _reason

    rng = random.Random(5)
    rules = (RankShare({"A": 0.2, "B": 0.3}), ScoreThresholds({"A": 70, "B": 40}))
    for _ in range(200):
        pool = [0.0, -0.0, 50.0, 72.5, rng.uniform(0, 100), rng.uniform(0, 100)]
        raw = {f"c{rng.randrange(100):02d}": rng.choice(pool) for _ in range(rng.randrange(1, 30))}
        assert _ranked(raw) == sorted(raw, key=lambda c: (-raw[c], c))
        book = {CustomerId(c): CustomerScore(CustomerId(c), x) for c, x in raw.items()}
        previous = {c: rng.choice(("A", "B", "C", "X", None)) for c in book}
        rule = rng.choice(rules)
        margin = rng.choice((0.0, 5.0))
        decided = assign_tiers(
            book, ABC, rule, as_of=NOW, previous=previous, hysteresis=Hysteresis(margin)
        )
        base, bounds = rule.base_tiers(raw, ABC)  # type: ignore[arg-type]
        for c, d in decided.items():
            prev = ABC.index(previous[c])
            want = _reason(
                raw[c], base[c], ABC.index(d.computed_tier) or 0, prev, bounds, margin, ABC.codes
            )
            assert d.reason == want
    nan = float("nan")
    with_nan = {"a": 1.0, "b": nan, "c": 2.0, "d": 1.0}
    assert _ranked(with_nan) == sorted(with_nan, key=lambda c: (-with_nan[c], c))


def test_score_and_decision_builders_equal_their_constructors() -> None:
    from keyaccount.tiering.assign import TierDecision, decision
    from keyaccount.tiering.scoring import customer_score

    layout = ScoreLayout(("x",), ("X",), (1.0,), ("m",))
    made = customer_score(CustomerId("c1"), 71.5, (2.0,), (71.5,), layout)
    plain = CustomerScore(CustomerId("c1"), 71.5, (2.0,), (71.5,), layout)
    assert (made, repr(made), hash(made)) == (plain, repr(plain), hash(plain))
    assert made.layout is layout
    for args in (("A", "A", "B", None, "why", None), ("C", "A", "A", "A", "hand", "tovr_1")):
        tier, computed, base, previous, reason, override = args
        d = decision(CustomerId("c1"), tier, computed, base, previous, plain, reason, override)
        p = TierDecision(CustomerId("c1"), tier, computed, base, previous, plain, reason, override)
        assert (d, repr(d), hash(d)) == (p, repr(p), hash(p))
