"""Every domain of a ``MongoDBStore`` comes from its ``mastra_register_<domain>_stores`` hook (no I/O needed)."""

from __future__ import annotations

from mastra_mongodb import MongoDBStore
from mastra_mongodb.connection import MongoConnection


def test_every_domain_comes_from_its_hook() -> None:
    store = MongoDBStore(id="hooks", uri="mongodb://127.0.0.1:1", db_name="hooks")
    found = {name: type(store.get_store(name)).__name__ for name in store.domains}
    assert found == {"memory": "MongoMemory", "workflows": "MongoWorkflows", "scores": "MongoScores",
                     "observability": "MongoObservability", "agents": "MongoAgents", "evals": "MongoEvals",
                     "traces": "MongoTraces"}
    assert isinstance(store.connection, MongoConnection)
    assert all(store.get_store(name).conn is store.connection for name in store.domains)
