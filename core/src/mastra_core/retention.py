"""Per-entity time to live, with one meaning on every backend.

A record of an entity type with an enabled rule expires ``default_ttl_seconds`` after its last write
(save or update). Reads never return an expired record, whether or not the backend has deleted it
yet; ``Storage.prune()`` deletes expired records where the backend has no native expiry (and is
harmless where it has). ``attribute_name`` names the expiry attribute on backends that store one
(DynamoDB's TTL attribute); others ignore it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from .clock import to_ms, utc_now
from .errors import ConfigError

ENTITIES = ("thread", "message", "resource", "workflow_snapshot", "score", "span", "eval", "trace")


@attrs.define(kw_only=True, frozen=True)
class TtlRule:
    """TTL for one entity type."""

    enabled: bool = True
    attribute_name: str = "ttl"
    default_ttl_seconds: int | None = None

    @property
    def active(self) -> bool:
        return self.enabled and self.default_ttl_seconds is not None and self.default_ttl_seconds > 0


@attrs.define(kw_only=True, frozen=True)
class Retention:
    """The TTL rules of one storage, keyed by entity type."""

    rules: Mapping[str, TtlRule] = attrs.field(factory=dict)

    @classmethod
    def parse(cls, value: Any) -> Retention:
        """From ``{entity: TtlRule | {enabled, attribute_name, default_ttl_seconds}}``; typos are errors."""
        if value is None:
            return cls()
        if isinstance(value, Retention):
            return value
        if not isinstance(value, Mapping):
            raise ConfigError(f"ttl must be a mapping of entity type to rule, got {type(value).__name__}")
        rules: dict[str, TtlRule] = {}
        for entity, rule in value.items():
            if entity not in ENTITIES:
                raise ConfigError(
                    f"unknown ttl entity {entity!r}; known: {', '.join(ENTITIES)}", details={"entity": entity}
                )
            if isinstance(rule, TtlRule):
                rules[entity] = rule
                continue
            if not isinstance(rule, Mapping):
                raise ConfigError(f"ttl[{entity!r}] must be a mapping, got {type(rule).__name__}")
            aliases = {"attributeName": "attribute_name", "defaultTtlSeconds": "default_ttl_seconds"}
            fields = {aliases.get(k, k): v for k, v in rule.items()}
            unknown = set(fields) - {"enabled", "attribute_name", "default_ttl_seconds"}
            if unknown:
                raise ConfigError(
                    f"unknown ttl option(s) {sorted(str(k) for k in unknown)} for {entity!r}",
                    details={"entity": entity},
                )
            seconds = fields.get("default_ttl_seconds")
            if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0):
                raise ConfigError(f"ttl[{entity!r}].default_ttl_seconds must be an integer >= 0")
            name = fields.get("attribute_name", "ttl")
            if not isinstance(name, str) or not name:
                raise ConfigError(f"ttl[{entity!r}].attribute_name must be a non-empty string")
            rules[entity] = TtlRule(
                enabled=bool(fields.get("enabled", True)), attribute_name=name, default_ttl_seconds=seconds
            )
        return cls(rules=rules)

    def rule(self, entity: str) -> TtlRule | None:
        rule = self.rules.get(entity)
        return rule if rule is not None and rule.active else None

    def expires_at(self, entity: str, now: datetime | None = None) -> datetime | None:
        """When a record of ``entity`` written at ``now`` expires, or None if it never does."""
        rule = self.rule(entity)
        if rule is None:
            return None
        assert rule.default_ttl_seconds is not None
        return to_ms(now or utc_now()) + timedelta(seconds=rule.default_ttl_seconds)

    @property
    def any_active(self) -> bool:
        return any(r.active for r in self.rules.values())


def is_expired(expires_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a record with this expiry is hidden at ``now``."""
    return expires_at is not None and expires_at <= (now or utc_now())
