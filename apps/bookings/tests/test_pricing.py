"""The price function: one place computes what a hold costs, ticket by ticket.

A property test (hypothesis) over any mix of ticket types, prices, categories, codes
(scoped to categories and types), fees and tax: the parts
add up to the total to the cent, nothing is negative, the discount never passes what is
in its scope, and the same inputs always give the same answer."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from apps.bookings.pricing import Charges, Discount, quote, split_evenly

CATEGORIES = ["standard", "premium", "accessible", "general"]
TYPES = ["adult", "child", "senior", "student"]
money = st.decimals(min_value=0, max_value=500, places=2, allow_nan=False, allow_infinity=False)
# A ticket: (seat category, its type's price there, ticket type).
lines = st.lists(
    st.tuples(st.sampled_from(CATEGORIES), money, st.sampled_from(TYPES)), min_size=1, max_size=10
)
scope = st.one_of(st.none(), st.frozensets(st.sampled_from(CATEGORIES), min_size=1))
type_scope = st.one_of(st.none(), st.frozensets(st.sampled_from(TYPES), min_size=1))
discounts = st.one_of(
    st.none(),
    st.builds(
        Discount,
        kind=st.just("percent"),
        amount=st.decimals(min_value="0.01", max_value=100, places=2),
        per=st.sampled_from(["order", "ticket"]),
        categories=scope,
        types=type_scope,
    ),
    st.builds(
        Discount,
        kind=st.just("fixed"),
        amount=st.decimals(min_value="0.01", max_value=1000, places=2),
        per=st.sampled_from(["order", "ticket"]),
        categories=scope,
        types=type_scope,
    ),
)


charges = st.builds(
    Charges,
    fee_per_ticket=st.decimals(min_value=0, max_value=20, places=2),
    fee_per_order=st.decimals(min_value=0, max_value=20, places=2),
    tax_rate=st.decimals(min_value=0, max_value=100, places=2),
    tax_included=st.booleans(),
)


@given(lines, discounts, charges)
def test_the_breakdown_adds_up_and_is_never_negative(lines, discount, charges):
    q = quote(lines, discount, charges)
    assert q.subtotal == sum((p for _, p, _ in lines), Decimal("0"))
    added = Decimal("0") if charges.tax_included else q.tax
    assert q.total == q.subtotal - q.discount + q.fees + added
    assert sum(q.paid) == q.total
    assert all(paid >= 0 for paid in q.paid)
    assert 0 <= q.discount <= q.subtotal
    assert q.fees == charges.fee_per_ticket * len(lines) + charges.fee_per_order
    # Each ticket knows the fee inside its price (a refund policy may keep it), and
    # never pays less than that fee.
    assert sum(q.ticket_fees) == q.fees
    assert all(0 <= fee <= paid for fee, paid in zip(q.ticket_fees, q.paid, strict=True))
    assert 0 <= q.tax <= q.total
    for value in (q.total, q.discount, q.fees, q.tax, *q.paid):
        assert value == value.quantize(Decimal("0.01"))
    in_scope = [line[1] for line in lines if discount is None or discount.covers(line)]
    assert q.discount <= sum(in_scope, Decimal("0"))
    without = quote(lines, discount)  # no fees, no tax: what the discount alone does
    assert all(paid <= listed for paid, listed in zip(without.paid, without.listed, strict=True))
    # Tickets out of the code's scope (its categories and its ticket types) pay their
    # list price.
    for line, paid in zip(lines, without.paid, strict=True):
        category, price, kind = line
        out = discount is not None and (
            (discount.categories is not None and category not in discount.categories)
            or (discount.types is not None and kind not in discount.types)
        )
        if out:
            assert paid == price


@given(lines, discounts, charges)
def test_the_same_inputs_give_the_same_total(lines, discount, charges):
    assert quote(lines, discount, charges) == quote(list(lines), discount, charges)


@given(money, st.integers(min_value=1, max_value=10))
def test_an_even_split_adds_up(total, count):
    parts = split_evenly(total, count)
    assert sum(parts) == total and max(parts) - min(parts) <= Decimal("0.01")


def test_examples():
    two = [("standard", Decimal("10.00")), ("premium", Decimal("15.00"))]
    assert quote(two).total == Decimal("25.00")
    ten_percent = quote(two, Discount("percent", Decimal("10")))
    assert (ten_percent.discount, ten_percent.paid) == (
        Decimal("2.50"),
        (Decimal("9.00"), Decimal("13.50")),
    )
    per_ticket = quote(two, Discount("fixed", Decimal("12"), per="ticket"))
    assert per_ticket.paid == (Decimal("0.00"), Decimal("3.00"))
    only_premium = quote(two, Discount("fixed", Decimal("5"), categories=frozenset({"premium"})))
    assert only_premium.paid == (Decimal("10.00"), Decimal("10.00"))
    thirds = quote([("general", Decimal("10.00"))] * 3, Discount("fixed", Decimal("10")))
    assert sum(thirds.paid) == Decimal("20.00") and thirds.discount == Decimal("10.00")


def test_fees_and_tax_examples():
    two = [("standard", Decimal("10.00")), ("premium", Decimal("15.00"))]
    fees = Charges(fee_per_ticket=Decimal("1.00"), fee_per_order=Decimal("0.99"))
    q = quote(two, None, fees)
    assert (q.fees, q.total, q.paid) == (
        Decimal("2.99"),
        Decimal("27.99"),
        (Decimal("11.50"), Decimal("16.49")),
    )
    vat = quote(two, None, Charges(tax_rate=Decimal("23"), tax_included=True))
    assert (vat.total, vat.tax) == (Decimal("25.00"), Decimal("4.67"))  # 25 - 25/1.23
    added = quote(two, None, Charges(tax_rate=Decimal("10"), tax_included=False))
    assert (added.total, added.tax, added.paid) == (
        Decimal("27.50"),
        Decimal("2.50"),
        (Decimal("11.00"), Decimal("16.50")),
    )


def test_ticket_type_scope_example():
    family = [("standard", Decimal("10.00"), "adult"), ("standard", Decimal("6.00"), "child")]
    kids = quote(family, Discount("percent", Decimal("50"), types=frozenset({"child"})))
    assert (kids.discount, kids.paid) == (Decimal("3.00"), (Decimal("10.00"), Decimal("3.00")))
