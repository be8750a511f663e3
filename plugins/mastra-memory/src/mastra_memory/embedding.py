"""Embedders: adapting anything that embeds, caching by content hash, and an offline hashing embedder.

An embedder is an object with ``embed(texts) -> vectors`` or a callable ``texts -> vectors``, sync or
async (sync ones run in a worker thread so the event loop stays free). ``vectors`` may be lists,
tuples or numpy arrays. An optional ``id`` (or ``model_id``) names it for the cache, an optional
``dimension`` saves a probe.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import math
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from mastra_core.errors import StorageError, ValidationError

from .config import memory_error_id

_WORD = re.compile(r"\w+", re.UNICODE)


def _embedder_name(embedder: Any) -> str:
    for attr in ("id", "model_id", "model_name", "name"):
        value = getattr(embedder, attr, None)
        if isinstance(value, str) and value:
            return value
    fn = getattr(embedder, "__qualname__", None) or type(embedder).__qualname__
    return f"{getattr(embedder, '__module__', '')}.{fn}@{id(embedder):x}"


def _is_async(fn: Any) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(type(fn), "__call__", None)  # noqa: B004 - an object with an async __call__
    return call is not None and inspect.iscoroutinefunction(call)


class EmbeddingCache:
    """An LRU of vectors keyed by ``(embedder id, sha256(text))``."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(embedder_id: str, text: str) -> tuple[str, str]:
        """The cache key of a text for one embedder: (embedder id, sha256 of the text)."""
        return embedder_id, hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, key: tuple[str, str]) -> list[float] | None:
        """The cached vector (and a hit), or None (and a miss)."""
        v = self._data.get(key)
        if v is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return v

    def put(self, key: tuple[str, str], vector: list[float]) -> None:
        """Cache a vector, evicting the least recently used entries beyond ``max_entries``."""
        if self.max_entries <= 0:
            return
        self._data[key] = vector
        self._data.move_to_end(key)
        while len(self._data) > self.max_entries:
            self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)


class EmbedderAdapter:
    """One async ``embed(texts)`` over any embedder, with a shared cache and a known dimension."""

    def __init__(self, embedder: Any, cache: EmbeddingCache | None = None) -> None:
        fn = getattr(embedder, "embed", None)
        if fn is None or not callable(fn):
            if not callable(embedder):
                raise ValidationError(f"an embedder needs an embed(texts) method or must be callable, got {embedder!r}",
                                      id=memory_error_id("EMBEDDER", "INVALID"))
            fn = embedder
        self.embedder = embedder
        self._fn = fn
        self._async = _is_async(fn)
        self.id = _embedder_name(embedder)
        self.cache = cache if cache is not None else EmbeddingCache()
        dim = getattr(embedder, "dimension", None)
        self.dimension: int | None = dim if isinstance(dim, int) and not isinstance(dim, bool) and dim > 0 else None

    async def _call(self, texts: list[str]) -> list[list[float]]:
        try:
            if self._async:
                raw = await self._fn(texts)
            else:
                raw = await asyncio.to_thread(self._fn, texts)
                if inspect.isawaitable(raw):
                    raw = await raw
        except StorageError:
            raise
        except Exception as exc:
            raise StorageError(f"embedder {self.id!r} failed: {type(exc).__name__}: {exc}",
                               id=memory_error_id("EMBED", "FAILED"), details={"embedder": self.id}) from exc
        vectors = [[float(x) for x in (v.tolist() if hasattr(v, "tolist") else v)] for v in raw]
        if len(vectors) != len(texts):
            raise StorageError(f"embedder {self.id!r} returned {len(vectors)} vectors for {len(texts)} texts",
                               id=memory_error_id("EMBED", "FAILED"))
        dims = {len(v) for v in vectors}
        if len(dims) > 1 or 0 in dims:
            raise StorageError(f"embedder {self.id!r} returned vectors of dimensions {sorted(dims)}",
                               id=memory_error_id("EMBED", "FAILED"))
        return vectors

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for ``texts`` in order; cached ones are not recomputed, duplicates computed once."""
        keys = [self.cache.key(self.id, t) for t in texts]
        found: dict[tuple[str, str], list[float]] = {}
        missing: dict[tuple[str, str], str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k in found or k in missing:
                continue
            v = self.cache.get(k)
            if v is None:
                missing[k] = t
            else:
                found[k] = v
        if missing:
            vectors = await self._call(list(missing.values()))
            for k, v in zip(missing, vectors, strict=True):
                self.cache.put(k, v)
                found[k] = v
        result = [found[k] for k in keys]
        if result and self.dimension is None:
            self.dimension = len(result[0])
        return result

    async def probe_dimension(self) -> int:
        """The dimension, embedding a probe text once when the embedder did not declare it."""
        if self.dimension is None:
            await self.embed(["dimension probe"])
        assert self.dimension is not None
        return self.dimension


class HashEmbedder:
    """A deterministic, offline bag-of-words embedder: lower-cased words hashed into ``dimension`` buckets.

    Texts sharing words get a high cosine similarity; no model, no network. Good for tests, demos and
    benchmarks; not a semantic model (``"cat"`` and ``"kitten"`` are unrelated to it).
    Registered as embedder id ``hash``.
    """

    def __init__(self, dimension: int = 64, *, id: str | None = None) -> None:
        if dimension <= 0:
            raise ValueError("dimension must be positive")
        self.dimension = dimension
        self.id = id or f"hash-bow-{dimension}"

    def embed_one(self, text: str) -> list[float]:
        """The hashed bag-of-words vector of one text, L2-normalised."""
        v = [0.0] * self.dimension
        for word in _WORD.findall(text.lower()):
            h = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
            bucket = int.from_bytes(h[:4], "little") % self.dimension
            v[bucket] += 1.0 if h[4] & 1 else -1.0
        norm = math.sqrt(sum(x * x for x in v))
        if norm == 0:
            v[0] = 1.0  # the empty text still gets a valid (non-zero) vector
            return v
        return [x / norm for x in v]

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One unit vector per text."""
        return [self.embed_one(t) for t in texts]
