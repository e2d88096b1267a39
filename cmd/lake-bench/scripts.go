package main

import _ "embed"

// The Python programs run by the venv's interpreter (python -c SOURCE
// ARGS...). They are embedded so that the binary does not depend on where
// the repository is checked out; each file says what it takes and prints.
var (
	//go:embed scripts/tpch_lineitem.py
	tpchLineitemPy string
	//go:embed scripts/duckdb_copy.py
	duckdbCopyPy string
	//go:embed scripts/connectorx_copy.py
	connectorxCopyPy string
	//go:embed scripts/versions.py
	versionsPy string
)
