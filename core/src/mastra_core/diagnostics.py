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


#: How many names a finding lists before it says how many there are in all.
SHOWN = 10


def shown(names: list[str]) -> str:
    """The first :data:`SHOWN` of ``names`` joined, and how many there are when more."""
    return "; ".join(names[:SHOWN]) + (f" ... ({len(names)} in all)" if len(names) > SHOWN else "")


def index_diff_findings(missing: list[str], unknown: list[str], *, what: str, missing_fix: str,
                   unknown_fix: str) -> list[Finding]:
    """The ``indexes.missing`` and ``indexes.unknown`` findings of a SQL backend that compares the indexes it finds
    with the ones its ``what`` (schema, layout) creates: ``missing`` are the statements that create each missing
    one (``missing_fix`` comes before them), ``unknown`` names the extra ones."""
    out: list[Finding] = []
    if missing:
        out.append(Finding(check="indexes.missing", severity="warning",
                           message=f"{len(missing)} index(es) of the {what} missing (reads that need them scan)",
                           fix=missing_fix + shown(missing)))
    else:
        out.append(Finding(check="indexes.missing", severity="ok", message=f"every index of the {what} is there"))
    if unknown:
        out.append(Finding(check="indexes.unknown", severity="info",
                           message=f"index(es) the mastra {what} does not create: {shown(unknown)}", fix=unknown_fix))
    return out
