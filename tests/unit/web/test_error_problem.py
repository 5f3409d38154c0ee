"""A field's problem travels as a typed attribute (`InputError.problem`, `InvalidOrder.problem`),
never recovered by splitting the error's message: the envelope, the exchange adapter's order rules
and the webhook log read it."""

from __future__ import annotations

from perpdesk.core.errors import InputError, InvalidOrder
from perpdesk.exchanges.common.order_checks import invalid, rule
from perpdesk.web.error_envelope import perpdesk_error_body

PROBLEM = "is not a multiple of the tick: use 0.1 steps"


def test_an_input_error_carries_its_problem_and_the_envelope_reads_it() -> None:
    err = InputError("price", PROBLEM, "Round the price.")
    assert err.problem == PROBLEM and err.message == f"price: {PROBLEM}"
    body = perpdesk_error_body(err)["error"]
    assert isinstance(body, dict)
    assert (body["field"], body["message"], body["title"]) == ("price", PROBLEM, "Check the Price field")


def test_an_order_rule_keeps_the_field_and_its_problem() -> None:
    def refuse() -> None:
        raise InputError("size", PROBLEM, "Change the size.")

    try:
        rule(refuse)
    except InvalidOrder as exc:
        assert (exc.field, exc.problem, exc.next_step) == ("size", PROBLEM, "Change the size.")
    else:
        raise AssertionError("the rule's InputError was not raised as an InvalidOrder")
    assert invalid("price", PROBLEM).problem == PROBLEM
    assert InvalidOrder("BitMart said: no").problem is None  # the exchange's refusal names no field
