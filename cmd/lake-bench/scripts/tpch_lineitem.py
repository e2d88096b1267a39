"""Writes TPC-H lineitem as CSV to stdout, for cmd/lake-bench to COPY into
PostgreSQL: python tpch_lineitem.py EXTENSION_DIR SCALE_FACTOR.

DuckDB's tpch extension is loaded from EXTENSION_DIR (made by
localstack/bench/venv.sh) with autoinstall off: nothing is downloaded.
"""

import sys

import duckdb

ext_dir, scale = sys.argv[1], float(sys.argv[2])
con = duckdb.connect(config={
    "extension_directory": ext_dir,
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
})
# The progress bar goes to stdout, which carries this script's output (a
# session option: it cannot be given to connect).
con.execute("SET enable_progress_bar = false")
con.execute("LOAD tpch")
con.execute(f"CALL dbgen(sf={scale})")
# In key order, as a table loaded once from a TPC-H dbgen file is.
con.execute("COPY (SELECT * FROM lineitem ORDER BY l_orderkey, l_linenumber) "
            "TO '/dev/stdout' (FORMAT csv, HEADER false)")
