"""Hook implementations of mastra-langchain: none.

The integration adds no backend, domain, vector store or command; it is registered in the
``mastra.storage`` entry-point group like every mastra distribution so ``mastra plugins`` lists it and
a broken install shows up at load time. Loading this module imports neither LangChain nor a driver.
"""

from __future__ import annotations

#: What ``mastra plugins`` can show about this distribution.
PROVIDES = ("MastraChatMessageHistory", "MastraRecallRetriever")
