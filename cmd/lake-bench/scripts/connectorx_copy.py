"""One measurement of ConnectorX + pyarrow as a peer of lake: the whole table
read into an Arrow table (ConnectorX's Rust PostgreSQL reader, PARTS queries
split on KEY when PARTS > 1), then written as one zstd Parquet file.

python connectorx_copy.py CONN TABLE KEY PARTS OUT.parquet

Prints {"rows": N}. ConnectorX has no streaming mode: the whole table is in
memory before the first byte is written, which its peak RSS shows.
"""

import json
import sys

import connectorx as cx
import pyarrow.parquet as pq

conn, table, key, parts, out = sys.argv[1:6]
kwargs = {}
if int(parts) > 1:
    kwargs = {"partition_on": key, "partition_num": int(parts)}
arrow = cx.read_sql(conn, f'SELECT * FROM "{table}"', return_type="arrow", **kwargs)
pq.write_table(arrow, out, compression="zstd")
print(json.dumps({"rows": arrow.num_rows}))
