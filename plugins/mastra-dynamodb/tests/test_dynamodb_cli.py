"""``mastra dynamodb create-table`` / ``verify-table`` / ``delete-table`` against DynamoDB Local."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

from mastra_dynamodb.cli import cli


def test_create_verify_delete(endpoint: str, client: Any, capsys: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    name = f"mastra-cli-{uuid.uuid4().hex[:10]}"
    try:
        assert cli(["create-table", "--table-name", name, "--endpoint", endpoint, "--region", "us-east-1",
                    "--ttl-attribute", "expiresAt"]) == 0
        assert "created table" in capsys.readouterr().out
        desc = client.describe_table(TableName=name)["Table"]
        assert sorted(g["IndexName"] for g in desc["GlobalSecondaryIndexes"]) == ["gsi1", "gsi2", "gsi3", "gsi4"]
        ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl["AttributeName"] == "expiresAt"
        assert cli(["create-table", "--table-name", name, "--endpoint", endpoint]) == 0
        assert "already exists" in capsys.readouterr().out
        assert cli(["verify-table", "--table-name", name, "--endpoint", endpoint]) == 0
        assert cli(["delete-table", "--table-name", name, "--endpoint", endpoint]) == 2
        assert cli(["delete-table", "--table-name", name, "--endpoint", endpoint, "--yes"]) == 0
        assert cli(["verify-table", "--table-name", name, "--endpoint", endpoint]) == 1
    finally:
        try:
            client.delete_table(TableName=name)
        except client.exceptions.ResourceNotFoundException:
            pass


def test_mastra_command_dispatches_to_the_plugin(endpoint: str, client: Any) -> None:
    name = f"mastra-cli-{uuid.uuid4().hex[:10]}"
    env = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "PATH": "/usr/bin:/bin"}
    try:
        out = subprocess.run([sys.executable, "-m", "mastra_core.cli", "dynamodb", "create-table", "--table-name", name,
                              "--endpoint", endpoint], capture_output=True, text=True, env=env, timeout=120)
        assert out.returncode == 0, out.stderr
        assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"
    finally:
        try:
            client.delete_table(TableName=name)
        except client.exceptions.ResourceNotFoundException:
            pass


def test_the_command_is_registered_through_the_hook() -> None:
    from mastra_core.plugins import registry

    command = registry().commands["dynamodb"]
    assert command.handler is cli and command.distribution == "mastra-dynamodb" and command.help
