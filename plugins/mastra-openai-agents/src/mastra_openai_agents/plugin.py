"""Plugin module of mastra-openai-agents.

The distribution registers through the ``mastra.storage`` entry point group like the backends so that
``mastra plugins`` lists it, but it contributes no backend, domain or command: a session is built by the
application around a storage it already has (:class:`mastra_openai_agents.MastraSession`). Loading this
module imports nothing heavy and does no I/O.
"""

from __future__ import annotations
