"""The packaged all-MiniLM-L6-v2 model really embeds, offline, and is found through the registry."""

from __future__ import annotations

import math

from mastra_core.registry import cache_clear, registry
from mastra_embed_local import LocalEmbedder


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_embeds_384_unit_vectors_with_meaningful_similarity() -> None:
    e = LocalEmbedder()
    cat, kitten, tax = e.embed(
        ["my cat is called Tom", "what is the name of my kitten?", "how do I file my tax return"]
    )
    assert len(cat) == 384 and math.isclose(math.sqrt(_cos(cat, cat)), 1.0, abs_tol=1e-4)
    assert _cos(cat, kitten) > _cos(cat, tax) + 0.2
    assert e.embed([]) == []


def test_registered_as_embedder() -> None:
    cache_clear()
    factory, dist = registry().embedders["local"]
    assert dist == "mastra-embed-local"
    assert factory().dimension == 384
