"""The key layout (README.md, "Key layout"): every key name, the hash fields and the layout version.

Every key starts with the store's ``prefix``. Ids are escaped (``%`` -> ``%25``, ``:`` -> ``%3A``) so an id
can never make one key look like another (``thread:a:messages`` cannot be the thread ``a:messages``). Index
members are ``{seq:015d}:{escaped id}``: sorted sets order equal scores by member, so the zero-padded
insertion sequence breaks ``created_at`` ties in save order, and the record key is
``<record prefix> + member[16:]``.

Record hashes share the fields ``j`` (wire JSON without createdAt/updatedAt), ``c``/``u`` (created/updated
epoch ms), ``s`` (insertion sequence), ``v`` (version), ``ix`` (index entries) and ``x``/``xz``/``xm``
(expiry); :mod:`~mastra_upstash.lua` documents them with the scripts that write them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar

#: The version of the layout this module describes. Nothing is stored under it: bump it (and add a
#: migration) when a key name or a hash field changes, so a store can tell an older layout from this one.
LAYOUT_VERSION = 1
#: Digits of the zero-padded insertion sequence that starts every index member.
SEQ_WIDTH = 15

#: Hash fields read back for each kind of record (``j`` first: the scripts test it for existence).
THREAD_FIELDS = ("j", "c", "u", "v")
MESSAGE_FIELDS = ("j", "c", "s")
VERSIONED_FIELDS = ("j", "c", "u", "v")
SCORE_FIELDS = ("j", "c", "u")
ROW_FIELDS = ("j", "c")


def esc(value: str) -> str:
    """Escape one id for use as a key component."""
    return value.replace("%", "%25").replace(":", "%3A")


def glob_escape(text: str) -> str:
    """Escape SCAN MATCH metacharacters in a literal prefix."""
    return "".join("\\" + ch if ch in "*?[]\\" else ch for ch in text)


def canonical(value: Any) -> Any:
    """The form in which deep-equal JSON values (per ``json_equal``: 1 == 1.0, True != 1) are identical."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def value_hash(value: Any) -> str:
    """A short digest of a metadata value's canonical JSON: the last part of its index key."""
    text = json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:20]


class Keys:
    """Every key name of one store, derived from its prefix.

    The ``*_rk`` attributes are record-key prefixes: a record's key is that prefix plus the escaped id
    part of its index member.
    """

    #: SCAN patterns (relative to the prefix) of every key a domain owns; used only by dangerously_clear_all.
    DOMAIN_PATTERNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "memory": ("thread:*", "threads:*", "message:*", "resource:*", "exp:thread", "exp:message", "exp:resource"),
        "workflows": ("run:*", "runs:*", "exp:workflow_snapshot"),
        "scores": ("score:*", "scores:*", "exp:score"),
        "observability": ("span:*", "trace:*", "traces:*", "exp:span"),
        "agents": ("agent:*", "agents:*"),
        "evals": ("eval:*", "evals:*", "exp:eval"),
        "traces": ("ltrace:*", "ltraces:*", "exp:trace"),
    }

    def __init__(self, prefix: str) -> None:
        """The key names under ``prefix``."""
        self.p = prefix
        self.seq = f"{prefix}seq"
        self.thread_rk = f"{prefix}thread:"
        self.message_rk = f"{prefix}message:"
        self.run_rk = f"{prefix}run:"
        self.score_rk = f"{prefix}score:"
        self.span_rk = f"{prefix}span:"
        self.agent_rk = f"{prefix}agent:"
        self.eval_rk = f"{prefix}eval:"
        self.ltrace_rk = f"{prefix}ltrace:"

    def exp(self, entity: str) -> str:
        """Expiry index of an entity type: score = expiry ms, member = what to unindex when it passes."""
        return f"{self.p}exp:{entity}"

    def patterns(self, domain: str) -> list[str]:
        """The SCAN MATCH patterns of every key ``domain`` owns under this prefix."""
        return [glob_escape(self.p) + pat for pat in self.DOMAIN_PATTERNS[domain]]

    # --- memory

    def thread(self, thread_id: str) -> str:
        """A thread's hash."""
        return self.thread_rk + esc(thread_id)

    def thread_messages(self, thread_id: str) -> str:
        """A thread's messages by created_at."""
        return self.thread(thread_id) + ":messages"

    def thread_resource_messages(self, thread_id: str, resource_id: str) -> str:
        """A thread's messages of one resource id, by created_at."""
        return f"{self.thread(thread_id)}:resource:{esc(resource_id)}:messages"

    def threads(self, field: str) -> str:
        """All threads ordered by ``created`` or ``updated``."""
        return f"{self.p}threads:{field}"

    def resource_threads(self, resource_id: str, field: str) -> str:
        """One resource's threads ordered by ``created`` or ``updated``."""
        return f"{self.p}resource:{esc(resource_id)}:threads:{field}"

    def threads_meta(self, key: str, value_hash: str, resource_id: str | None = None) -> str:
        """Threads whose metadata[key] deep-equals the value with this hash (all threads, or one resource's)."""
        scope = f"{self.p}threads" if resource_id is None else f"{self.p}resource:{esc(resource_id)}:threads"
        return f"{scope}:meta:{esc(key)}:{value_hash}"

    def threads_meta_around_resource(self, key: str, value_hash: str) -> tuple[str, str]:
        """``threads_meta(key, value_hash, rid)`` as the text before and after the escaped resource id: a merge
        script that reads the id from the stored thread puts it in between (``lua.merged_ix``)."""
        return f"{self.p}resource:", f":threads:meta:{esc(key)}:{value_hash}"

    def message(self, message_id: str) -> str:
        """A message's hash."""
        return self.message_rk + esc(message_id)

    def resource(self, resource_id: str) -> str:
        """A resource's hash (working memory)."""
        return f"{self.p}resource:{esc(resource_id)}"

    # --- workflows

    def run(self, workflow_name: str, run_id: str) -> str:
        """A workflow run snapshot's hash."""
        return f"{self.run_rk}{esc(workflow_name)}:{esc(run_id)}"

    def runs(self, kind: str = "all", value: str | None = None) -> str:
        """Runs by created_at: all, or those whose ``kind`` (name, resource, status, id) is ``value``."""
        return f"{self.p}runs:{kind}" if value is None else f"{self.p}runs:{kind}:{esc(value)}"

    # --- scores

    def score(self, score_id: str) -> str:
        """A score's hash."""
        return self.score_rk + esc(score_id)

    def scores(self, kind: str, *values: str) -> str:
        """Scores by created_at of one scorer, run, entity (type, id) or span (trace, span)."""
        return f"{self.p}scores:{kind}:" + ":".join(esc(v) for v in values)

    # --- observability

    def span(self, trace_id: str, span_id: str) -> str:
        """An AI-tracing span's hash."""
        return f"{self.span_rk}{esc(trace_id)}:{esc(span_id)}"

    def trace_spans(self, trace_id: str) -> str:
        """A trace's spans by started_at."""
        return f"{self.p}trace:{esc(trace_id)}:spans"

    def trace_error_spans(self, trace_id: str) -> str:
        """A trace's spans that carry an error."""
        return f"{self.p}trace:{esc(trace_id)}:errspans"

    def roots(self) -> str:
        """Root spans by started_at."""
        return f"{self.p}traces:roots"

    def roots_by(self, field: str, value: str) -> str:
        """Root spans whose ``field`` (an equality-filterable column) equals ``value``."""
        return f"{self.p}traces:by:{field}:{esc(value)}"

    # --- agents

    def agent(self, agent_id: str) -> str:
        """A stored agent's hash."""
        return self.agent_rk + esc(agent_id)

    def agents(self, field: str) -> str:
        """Agents by ``created`` or ``updated``."""
        return f"{self.p}agents:{field}"

    # --- legacy evals and traces

    def eval(self, row_id: str) -> str:
        """A legacy eval row's hash."""
        return self.eval_rk + esc(row_id)

    def evals(self, agent_name: str | None = None) -> str:
        """Eval rows by created_at: all, or one agent's."""
        return f"{self.p}evals:all" if agent_name is None else f"{self.p}evals:agent:{esc(agent_name)}"

    def ltrace(self, row_id: str) -> str:
        """A legacy trace row's hash."""
        return self.ltrace_rk + esc(row_id)

    def ltraces(self) -> str:
        """Legacy trace rows by created_at."""
        return f"{self.p}ltraces:all"
