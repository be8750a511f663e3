"""``mastra dynamodb ...``: table provisioning for development and tests (registered by ``plugin.py``).

    mastra dynamodb create-table --table-name NAME [--endpoint URL] [--region R] [--ttl-attribute ttl]
    mastra dynamodb verify-table --table-name NAME [--endpoint URL] [--region R]
    mastra dynamodb delete-table --table-name NAME [--endpoint URL] [--region R] --yes

Credentials come from boto3's usual chain (environment, profile, instance role); they are never printed.
"""

from __future__ import annotations

import argparse
import sys

#: The one-line description ``mastra --help`` shows.
HELP = "create, verify or delete the mastra DynamoDB table"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mastra dynamodb", description="Provision the mastra DynamoDB table.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("create-table", "create the table, its four GSIs and TTL (PAY_PER_REQUEST)"),
                            ("verify-table", "check an existing table against the layout"),
                            ("delete-table", "delete the table and all its data")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--table-name", required=True, help="the DynamoDB table (3-255 of a-z A-Z 0-9 _ . -)")
        p.add_argument("--endpoint", default=None, help="e.g. http://127.0.0.1:8000 for DynamoDB Local")
        p.add_argument("--region", default="us-east-1", help="AWS region (default us-east-1)")
        if name == "create-table":
            p.add_argument("--ttl-attribute", default="ttl",
                           help="attribute DynamoDB TTL deletes by ('' to leave TTL off)")
            p.add_argument("--no-wait", action="store_true", help="return before the table is ACTIVE")
        if name == "delete-table":
            p.add_argument("--yes", action="store_true", help="really delete")
    return parser


def cli(argv: list[str]) -> int:
    """Run ``mastra dynamodb ARGV``; returns the exit status."""
    args = _parser().parse_args(argv)
    from .connection import create_table_sync, delete_table_sync, describe_table_sync, make_client
    from .schema import verify_table

    client = make_client(region=args.region, endpoint=args.endpoint)
    where = f"{args.table_name!r} ({args.endpoint or args.region})"
    problems: list[str] = []
    if args.command == "create-table":
        created = create_table_sync(client, args.table_name, ttl_attribute=args.ttl_attribute or None,
                                    wait=not args.no_wait)
        print(f"created table {where}" if created else f"table {where} already exists; left unchanged")
        if not args.no_wait:
            desc = describe_table_sync(client, args.table_name)
            problems = verify_table(desc) if desc is not None else [f"table {where} does not exist"]
    elif args.command == "verify-table":
        desc = describe_table_sync(client, args.table_name)
        if desc is None:
            print(f"table {where} does not exist", file=sys.stderr)
            return 1
        problems = verify_table(desc)
        if not problems:
            print(f"table {where} matches the mastra layout")
    else:
        if not args.yes:
            print("refusing to delete without --yes", file=sys.stderr)
            return 2
        if not delete_table_sync(client, args.table_name):
            print(f"table {where} does not exist", file=sys.stderr)
            return 1
        print(f"deleted table {where}")
        return 0
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main() -> None:
    """``python -m mastra_dynamodb.cli``."""
    raise SystemExit(cli(sys.argv[1:]))


if __name__ == "__main__":
    main()
