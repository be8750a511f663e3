"""The contract suite every backend runs: ``pytest --pyargs mastra_core.testing --mastra-backend=<harness>``.

The pytest plugin is :mod:`mastra_core.testing.plugin` (entry point ``pytest11``); harnesses are registered by
plugins through the ``mastra_register_test_harnesses`` hook and loaded by :mod:`mastra_core.testing.harness`;
sample records and assertion helpers are in :mod:`mastra_core.testing.factories`. Install the test
dependencies with ``pip install 'mastra-core[testing]'``. Importing this package imports nothing else.
"""
