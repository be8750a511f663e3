"""Health findings of a storage (``mastra doctor``): what a backend reports about its server and its schema.

:meth:`mastra_core.storage.Storage.diagnose` returns a list of :class:`Finding`; core's ``doctor`` adds the
generic checks (connectivity, round-trip latency, record counts) and each backend overrides ``diagnose()`` with
its own probes (server version and features, keys and indexes, expiry settings). Severity orders findings
and sets ``mastra doctor``'s exit code.
"""

from __future__ import annotations

from typing import Literal

import attrs

Severity = Literal["ok", "info", "warning", "error"]
#: Severities from least to most serious (exit code of ``mastra doctor``: 0 up to info, 1 warning, 2 error).
SEVERITIES: tuple[Severity, ...] = ("ok", "info", "warning", "error")


@attrs.define(kw_only=True, frozen=True)
class Finding:
    """One observation: ``check`` names it (``"server.version"``), ``message`` says what was found, ``fix`` what to
    do about it (empty when nothing needs doing)."""

    check: str
    severity: Severity
    message: str
    fix: str = ""
