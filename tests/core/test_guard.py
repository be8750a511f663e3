"""The guard's USER vs THIRD_PARTY call: an input error is the caller's only when our code or attrs raised it."""

from __future__ import annotations

import json
from typing import Any

import pluggy
import pytest
from mastra_core.errors import StorageError, ValidationError
from mastra_core.guard import guard_public_coroutines
from mastra_core.records import Thread


class Probe:
    """Public coroutines that fail in the ways a store's do: on the caller's value, or inside a library."""

    async def from_caller_value(self, value: Any) -> str:
        return json.dumps(value)  # a set is not JSON: stdlib raising on the caller's value

    async def from_record_layer(self, value: Any) -> Thread:
        return Thread(**value)  # attrs raising TypeError on an unknown field

    async def from_library_internals(self) -> None:
        manager = pluggy.PluginManager("probe")
        plugin = object()
        manager.register(plugin, name="dup")
        manager.register(plugin, name="dup")  # pluggy's own ValueError: nothing the caller passed


guard_public_coroutines(Probe, lambda store: "PROBE", lambda store: "probe")


async def test_stdlib_error_on_a_value_our_code_passed_is_the_callers() -> None:
    with pytest.raises(ValidationError) as err:
        await Probe().from_caller_value({1, 2})
    assert err.value.category == "USER"
    assert err.value.id == "MASTRA_STORAGE_PROBE_FROM_CALLER_VALUE_INVALID_INPUT"
    assert isinstance(err.value.__cause__, TypeError)


async def test_record_layer_error_is_the_callers() -> None:
    with pytest.raises(ValidationError) as err:
        await Probe().from_record_layer({"id": "t", "resourceId": "r", "bogus": 1})
    assert err.value.category == "USER"


async def test_a_library_internal_value_error_is_third_party_not_blamed_on_the_caller() -> None:
    with pytest.raises(StorageError) as err:
        await Probe().from_library_internals()
    assert not isinstance(err.value, ValidationError)
    assert err.value.category == "THIRD_PARTY"
    assert err.value.id == "MASTRA_STORAGE_PROBE_FROM_LIBRARY_INTERNALS_FAILED"
    assert isinstance(err.value.__cause__, ValueError)
