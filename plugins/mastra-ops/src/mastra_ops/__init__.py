"""mastra-ops: operate a mastra storage: ``mastra copy``, ``export``, ``import``, ``inspect``, ``doctor``, ``migrate``.

The library parts (:mod:`mastra_ops.copy`, :mod:`mastra_ops.dump`, :mod:`mastra_ops.stream`) import no terminal
library; the ``mastra`` command handlers live in :mod:`mastra_ops.cli`.
"""

__all__: list[str] = []
