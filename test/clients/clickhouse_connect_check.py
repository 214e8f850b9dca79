"""Drives the ClickHouse service with Python's clickhouse-connect, as a data engineer would, and prints what came back as JSON."""
import json
import os
import sys
from urllib.parse import urlparse

import clickhouse_connect

url = urlparse(os.environ["CLICKHOUSE_URL"])
table = sys.argv[1]
client = clickhouse_connect.get_client(
    host=url.hostname, port=url.port, username=os.environ["CLICKHOUSE_USER"], password=os.environ["CLICKHOUSE_PASSWORD"], compress="gzip"
)
client.command(f"CREATE TABLE {table} (id UInt64, store String, amount Decimal(12, 2)) ENGINE = MergeTree ORDER BY id")
client.insert(table, [[1, "Большая Пикча", "10.50"], [2, "Маленькая Пикча", "0.25"]], column_names=["id", "store", "amount"])
rows = client.query(f"SELECT id, store, toString(amount) FROM {table} WHERE id >= {{min:UInt64}} ORDER BY id", parameters={"min": 1}).result_rows
try:
    client.query(f"SELECT * FROM {table}_missing")
    error = None
except Exception as exc:  # the driver's DatabaseError; its text carries the server's code
    error = str(exc)
print(json.dumps({"version": client.server_version, "rows": [list(row) for row in rows], "error": error}, ensure_ascii=False))
