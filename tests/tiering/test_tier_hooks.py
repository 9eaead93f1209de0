import pytest
from tierkit import NOW, book, cust

from keyaccount import hookimpl
from keyaccount.errors import DuplicateRegistration, PluginError
from keyaccount.fx import ExchangeRates
from keyaccount.host import PluginHost
from keyaccount.tiering import Criterion, MinMax, RegisterTierCriterion, ScoringModel


def name_length(activity: object, ctx: object) -> float:
    return float(len(activity.customer.name))  # type: ignore[attr-defined]


class NameLengthPlugin:
    @hookimpl
    def register_tier_criteria(self, register: RegisterTierCriterion) -> None:
        register(Criterion("name_length", "名称长度", name_length, MinMax(0.0, 20.0), 0.5))


class ShadowingPlugin:
    @hookimpl
    def register_tier_criteria(self, register: RegisterTierCriterion) -> None:
        register(Criterion("revenue", "fake revenue", name_length))


def test_hook_register_tier_criteria(host: PluginHost) -> None:
    host.register(NameLengthPlugin(), name="namelen")
    assert list(host.tier_criteria()) == ["name_length"]
    info = next(p for p in host.plugins() if p.name == "namelen")
    assert info.registers == ("tier-criterion name_length",)
    model = ScoringModel.from_host(host)
    assert model.weights["name_length"] == 0.5
    s = model.score(book([cust("c1")]), as_of=NOW, rates=ExchangeRates.single("CNY"))
    c = s["c1"].criterion("name_length")
    assert c.raw == 11.0  # "Customer c1"
    assert c.score == pytest.approx(55.0)
    host.unregister("namelen")
    assert host.tier_criteria() == {}


def test_tier_criterion_names_are_unique(host: PluginHost) -> None:
    host.register(NameLengthPlugin(), name="one")
    with pytest.raises(DuplicateRegistration):
        host.register(NameLengthPlugin(), name="two")
    host.register(ShadowingPlugin(), name="shadow")
    with pytest.raises(DuplicateRegistration):
        ScoringModel.from_host(host)


class WrongTypePlugin:
    @hookimpl
    def register_tier_criteria(self, register: RegisterTierCriterion) -> None:
        register("revenue-ish")  # type: ignore[arg-type]


def test_registering_something_else_than_a_criterion_names_the_plugin(host: PluginHost) -> None:
    with pytest.raises(PluginError, match=r"'wrong'.*expected a Criterion"):
        host.register(WrongTypePlugin(), name="wrong")
