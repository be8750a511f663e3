"""MariaDB/MySQL: the harness ships with the plugin (``mastra_mysql.harness``); this module re-exports it."""

from mastra_mysql.harness import BACKEND_ID, PROBE_CONFIG, cleanup, make_storage

__all__ = ["BACKEND_ID", "PROBE_CONFIG", "cleanup", "make_storage"]
