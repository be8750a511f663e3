"""Hook implementations: the ``mastra`` sub-commands of mastra-ops."""

from __future__ import annotations

from mastra_core.hookspecs import Register, hookimpl


@hookimpl
def mastra_register_commands(register: Register) -> None:
    """``copy``, ``export``, ``import``: handlers in :mod:`mastra_ops.cli` (rich is imported only when they run)."""
    from . import cli, doctor, inspect_cli, migrate

    register("copy", cli.COPY_HELP, cli.copy_command)
    register("export", cli.EXPORT_HELP, cli.export_command)
    register("import", cli.IMPORT_HELP, cli.import_command)
    register("doctor", doctor.DOCTOR_HELP, doctor.doctor_command)
    register("migrate", migrate.MIGRATE_HELP, migrate.migrate_command)
    register("inspect", inspect_cli.INSPECT_HELP, inspect_cli.inspect_command)
