"""Run a Dash callback as a plain function, with the callback context Dash would give it."""
from contextvars import copy_context

from dash._callback_context import context_value
from dash._utils import AttributeDict


def run_callback(function, trigger: str | None, *args):
    """Call `function(*args)` as if `trigger` ("id.prop", or None on page load) had fired it."""
    def call():
        triggered = [{"prop_id": trigger, "value": None}] if trigger else []
        context_value.set(AttributeDict(triggered_inputs=triggered))
        return function(*args)

    return copy_context().run(call)
