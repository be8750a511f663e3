"""The key layout (see README.md): every key starts with the store's ``prefix``.

Ids are escaped (``%`` -> ``%25``, ``:`` -> ``%3A``) so an id can never make one key look like another
(``thread:a:messages`` cannot be the thread ``a:messages``). Index members are ``{seq:015d}:{escaped id}``:
sorted sets order equal scores by member, so the zero-padded insertion sequence breaks ``created_at``
ties in save order, and the record key is ``<record prefix> + member[16:]``.
"""

from __future__ import annotations

SEQ_WIDTH = 15


def esc(value: str) -> str:
    """Escape one id for use as a key component."""
    return value.replace("%", "%25").replace(":", "%3A")


def glob_escape(text: str) -> str:
    """Escape SCAN MATCH metacharacters in a literal prefix."""
    out = []
    for ch in text:
        if ch in "*?[]\\":
            out.append("\\")
        out.append(ch)
    return "".join(out)


class Keys:
    """Every key name of one store, derived from its prefix."""

    def __init__(self, prefix: str) -> None:
        self.p = prefix
        self.seq = f"{prefix}seq"

    # record key prefixes (record key = prefix + escaped id part)
    @property
    def thread_rk(self) -> str:
        return f"{self.p}thread:"

    @property
    def message_rk(self) -> str:
        return f"{self.p}message:"

    @property
    def run_rk(self) -> str:
        return f"{self.p}run:"

    @property
    def score_rk(self) -> str:
        return f"{self.p}score:"

    @property
    def span_rk(self) -> str:
        return f"{self.p}span:"

    @property
    def agent_rk(self) -> str:
        return f"{self.p}agent:"

    @property
    def eval_rk(self) -> str:
        return f"{self.p}eval:"

    @property
    def ltrace_rk(self) -> str:
        return f"{self.p}ltrace:"

    def exp(self, entity: str) -> str:
        """Expiry index of an entity type: score = expiry ms, member = what to unindex when it passes."""
        return f"{self.p}exp:{entity}"

    # memory
    def thread(self, thread_id: str) -> str:
        return self.thread_rk + esc(thread_id)

    def thread_messages(self, thread_id: str) -> str:
        return self.thread(thread_id) + ":messages"

    def thread_resource_messages(self, thread_id: str, resource_id: str) -> str:
        return f"{self.thread(thread_id)}:resource:{esc(resource_id)}:messages"

    def threads(self, field: str) -> str:
        """All threads ordered by ``created`` or ``updated``."""
        return f"{self.p}threads:{field}"

    def resource_threads(self, resource_id: str, field: str) -> str:
        return f"{self.p}resource:{esc(resource_id)}:threads:{field}"

    def threads_meta(self, key: str, value_hash: str, resource_id: str | None = None) -> str:
        """Threads whose metadata[key] deep-equals the value with this hash (all threads, or one resource's)."""
        scope = f"{self.p}threads" if resource_id is None else f"{self.p}resource:{esc(resource_id)}:threads"
        return f"{scope}:meta:{esc(key)}:{value_hash}"

    def message(self, message_id: str) -> str:
        return self.message_rk + esc(message_id)

    def resource(self, resource_id: str) -> str:
        return f"{self.p}resource:{esc(resource_id)}"

    # workflows
    def run(self, workflow_name: str, run_id: str) -> str:
        return f"{self.run_rk}{esc(workflow_name)}:{esc(run_id)}"

    def runs(self, kind: str = "all", value: str | None = None) -> str:
        return f"{self.p}runs:{kind}" if value is None else f"{self.p}runs:{kind}:{esc(value)}"

    # scores
    def score(self, score_id: str) -> str:
        return self.score_rk + esc(score_id)

    def scores(self, kind: str, *values: str) -> str:
        return f"{self.p}scores:{kind}:" + ":".join(esc(v) for v in values)

    # observability
    def span(self, trace_id: str, span_id: str) -> str:
        return f"{self.span_rk}{esc(trace_id)}:{esc(span_id)}"

    def trace_spans(self, trace_id: str) -> str:
        return f"{self.p}trace:{esc(trace_id)}:spans"

    def trace_error_spans(self, trace_id: str) -> str:
        return f"{self.p}trace:{esc(trace_id)}:errspans"

    def roots(self) -> str:
        return f"{self.p}traces:roots"

    def roots_by(self, field: str, value: str) -> str:
        """Root spans whose ``field`` (an equality-filterable column) equals ``value``."""
        return f"{self.p}traces:by:{field}:{esc(value)}"

    # agents
    def agent(self, agent_id: str) -> str:
        return self.agent_rk + esc(agent_id)

    def agents(self, field: str) -> str:
        return f"{self.p}agents:{field}"

    # legacy
    def eval(self, row_id: str) -> str:
        return self.eval_rk + esc(row_id)

    def evals(self, agent_name: str | None = None) -> str:
        return f"{self.p}evals:all" if agent_name is None else f"{self.p}evals:agent:{esc(agent_name)}"

    def ltrace(self, row_id: str) -> str:
        return self.ltrace_rk + esc(row_id)

    def ltraces(self) -> str:
        return f"{self.p}ltraces:all"

    #: SCAN patterns (relative to the prefix) of every key a domain owns; used only by dangerously_clear_all.
    DOMAIN_PATTERNS = {
        "memory": ("thread:*", "threads:*", "message:*", "resource:*", "exp:thread", "exp:message", "exp:resource"),
        "workflows": ("run:*", "runs:*", "exp:workflow_snapshot"),
        "scores": ("score:*", "scores:*", "exp:score"),
        "observability": ("span:*", "trace:*", "traces:*", "exp:span"),
        "agents": ("agent:*", "agents:*"),
        "evals": ("eval:*", "evals:*", "exp:eval"),
        "traces": ("ltrace:*", "ltraces:*", "exp:trace"),
    }

    def patterns(self, domain: str) -> list[str]:
        return [glob_escape(self.p) + pat for pat in self.DOMAIN_PATTERNS[domain]]
