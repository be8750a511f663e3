"""mastra-ops: operate a mastra storage: ``mastra copy``, ``export``, ``import``, ``inspect``, ``doctor``, ``migrate``.

The library parts (:mod:`mastra_ops.copy`, :mod:`mastra_ops.dump`, :mod:`mastra_ops.stream`) import no terminal
library; the ``mastra`` command handlers live in :mod:`mastra_ops.cli`.
"""

from importlib.metadata import version as _version

__version__ = _version("mastra-ops")  # the one place is pyproject.toml

__all__: list[str] = []
