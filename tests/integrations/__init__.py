"""Test support shared by the integration distributions (mastra-openai-agents, mastra-otel, ...)."""
