"""Helpers for tests and benchmarks: a TCP proxy that counts real client/server round trips.

The proxy now lives in the contract suite (:class:`mastra_core.testing.faults.ChaosProxy`, which also injects
faults); this name stays for the tests and benchmarks that import it from here.
"""

from __future__ import annotations

from mastra_core.testing.faults import ChaosProxy as RoundTripProxy

__all__ = ["RoundTripProxy"]
