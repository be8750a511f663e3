"""The plugin kit: what a backend is built from.

- :class:`ConnectedBackend` (``storage.py``): the backend class, one typed connection object, domains
  assembled from the ``mastra_register_<domain>_stores`` hooks.
- :class:`BackendDomain` (``domain.py``): the typed base of every domain store of a backend.
- :func:`assemble_message_page` (``pages.py``): the one ``list_messages`` page assembler.
- :mod:`reference_schema <mastra_core.backend.reference_schema>`: the reference's tables, columns and JSON fields.
- :class:`RowCodec` (``codec.py``): records to rows and back, built on :func:`mastra_core.serde.make_converter`.
- :class:`SeenKeys` (``seen_keys.py``): the bounded hint of rows a store saw live (which write to try first).

See docs/DESIGN.md, "Writing a backend".
"""

from __future__ import annotations

from .codec import RowCodec, decode_json
from .domain import BackendDomain
from .pages import FetchedMessage, assemble_message_page, in_result_set, page_of, sort_key
from .reference_schema import DOMAIN_TABLES, TABLES, Column, Index, Table
from .seen_keys import SeenKeys
from .storage import ConnectedBackend, Connection

__all__ = [
    "DOMAIN_TABLES", "TABLES", "BackendDomain", "Column", "ConnectedBackend", "Connection", "FetchedMessage",
    "Index", "RowCodec", "SeenKeys", "Table", "assemble_message_page", "decode_json", "in_result_set", "page_of",
    "sort_key",
]
