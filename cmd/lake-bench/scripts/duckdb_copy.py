"""One measurement of DuckDB as a peer of lake: a whole PostgreSQL table read
by postgres_scan into one zstd Parquet file, with DuckDB's defaults
otherwise (its threads, its parallel ctid scan, its row groups).

python duckdb_copy.py EXTENSION_DIR DSN TABLE OUT.parquet

Prints {"rows": N}, N read back from the file's footer. The postgres
extension is loaded from EXTENSION_DIR (localstack/bench/venv.sh) with
autoinstall off: nothing is downloaded.
"""

import json
import sys

import duckdb


def quote(s):
    return "'" + s.replace("'", "''") + "'"


ext_dir, dsn, table, out = sys.argv[1:5]
con = duckdb.connect(config={
    "extension_directory": ext_dir,
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
})
# The progress bar goes to stdout, which carries this script's output (a
# session option: it cannot be given to connect).
con.execute("SET enable_progress_bar = false")
con.execute("LOAD postgres")
con.execute(f"COPY (SELECT * FROM postgres_scan({quote(dsn)}, 'public', {quote(table)})) "
            f"TO {quote(out)} (FORMAT parquet, COMPRESSION zstd)")
rows = con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata({quote(out)})").fetchone()[0]
print(json.dumps({"rows": int(rows)}))
