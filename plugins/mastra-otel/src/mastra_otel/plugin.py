"""Plugin module of mastra-otel.

The distribution registers through the ``mastra.storage`` entry point group like the backends so that
``mastra plugins`` lists it, but it contributes no backend, domain or command: the exporter is handed to an
OpenTelemetry ``TracerProvider`` by the application (:class:`mastra_otel.MastraSpanExporter`). Loading this
module imports nothing heavy and does no I/O.
"""

from __future__ import annotations
