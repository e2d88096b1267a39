#!/usr/bin/env bash
# Makes the Python virtualenv of the peers that `make bench-peers` compares
# lake with (DuckDB's postgres_scan, ConnectorX + pyarrow), and of the TPC-H
# generator (DuckDB's tpch extension). Idempotent: a complete venv is left
# alone, so a second run takes well under a second.
#
#   bash localstack/bench/venv.sh
#
# Prints only `export NAME='value'` lines on stdout (logs go to stderr), so
#   eval "$(bash localstack/bench/venv.sh)"
# gives cmd/lake-bench LAKE_BENCH_PYTHON, the venv's python, and
# LAKE_BENCH_DUCKDB_EXTENSION_DIR, a DuckDB extension_directory holding the
# postgres and tpch extensions.
#
# Versions are pinned: a benchmark compares releases, and an unpinned
# dependency changing under a cached venv makes two runs incomparable. DuckDB
# is the release duckdb-go links (see localstack/services/s3.sh), and its
# postgres and tpch extensions come from PyPI's duckdb-extension-* wheels,
# laid out as an extension_directory (v<version>/<platform>/<name>.duckdb_extension)
# so that DuckDB loads them with autoinstall off and never downloads anything
# (a bench machine may reach PyPI but not extensions.duckdb.org). The
# postgres file must be named postgres_scanner: DuckDB derives the entry
# point (postgres_scanner_duckdb_cpp_init) from the file name, and the wheel
# ships it as postgres.duckdb_extension.
#
# ConnectorX is optional: if it does not install (no wheel for this Python or
# platform), the reason is kept in the venv and the harness reports the peer
# as missing instead of failing.
#
# Environment:
#   LAKE_TEST_CACHE   where the venv lives; default ~/.cache/lake-test
set -euo pipefail

DUCKDB_VERSION=1.5.5
CONNECTORX_VERSION=0.4.6
PYARROW_VERSION=26.0.1
CACHE=${LAKE_TEST_CACHE:-$HOME/.cache/lake-test}
VENV=$CACHE/bench-venv
EXT_DIR=$VENV/duckdb-extensions
# Written when the pip install of connectorx failed; holds pip's last lines.
CX_FAILED=$VENV/connectorx-failed.txt
# Written once everything was installed (or connectorx was tried and failed):
# the venv is complete for this exact set of versions.
STAMP=$VENV/installed-duckdb$DUCKDB_VERSION-cx$CONNECTORX_VERSION-pa$PYARROW_VERSION

log() { echo "bench-venv: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# shellcheck source=localstack/python.sh
. "$(dirname "${BASH_SOURCE[0]}")/../python.sh"

install() {
	local py
	py=$(python312) || die "the bench peers need Python >= 3.12; install one (e.g. pyenv install 3.13) and run again"
	log "making $VENV with $py (duckdb $DUCKDB_VERSION, pyarrow $PYARROW_VERSION, connectorx $CONNECTORX_VERSION)"
	rm -rf "$VENV"
	"$py" -m venv "$VENV" >&2 || die "$py -m venv failed"
	"$VENV/bin/pip" install -q --disable-pip-version-check \
		"duckdb==$DUCKDB_VERSION" "duckdb-extension-postgres==$DUCKDB_VERSION" "duckdb-extension-tpch==$DUCKDB_VERSION" \
		"pyarrow==$PYARROW_VERSION" >&2 || { rm -rf "$VENV"; die "pip install duckdb/pyarrow failed"; }
	# Separately, so that a missing connectorx wheel costs one peer, not the bench.
	local out
	if ! out=$("$VENV/bin/pip" install -q --disable-pip-version-check "connectorx==$CONNECTORX_VERSION" 2>&1); then
		printf '%s\n' "$out" | tail -n 5 >"$CX_FAILED"
		log "connectorx $CONNECTORX_VERSION did not install; the bench goes on without it:"
		sed 's/^/bench-venv:   /' "$CX_FAILED" >&2
	fi
	"$VENV/bin/python" -c 'import duckdb, pyarrow, duckdb_extension_postgres, duckdb_extension_tpch' ||
		{ rm -rf "$VENV"; die "the new venv cannot import duckdb and its extensions"; }
	extension_dir || { rm -rf "$VENV"; die "could not lay out the DuckDB extensions in $EXT_DIR"; }
	touch "$STAMP"
}

# extension_dir links the wheels' extension files into $EXT_DIR under the
# names and platform folder DuckDB looks for.
extension_dir() {
	"$VENV/bin/python" - "$EXT_DIR" <<'PY'
import importlib.util, os, sys
import duckdb

platform = duckdb.execute("PRAGMA platform").fetchone()[0]
target = os.path.join(sys.argv[1], "v" + duckdb.__version__, platform)
os.makedirs(target, exist_ok=True)
for package, name in (("duckdb_extension_postgres", "postgres_scanner"), ("duckdb_extension_tpch", "tpch")):
    folder = os.path.dirname(importlib.util.find_spec(package).origin)
    src = os.path.join(folder, "extensions", "v" + duckdb.__version__, package.removeprefix("duckdb_extension_") + ".duckdb_extension")
    dst = os.path.join(target, name + ".duckdb_extension")
    if not os.path.exists(dst):
        os.symlink(src, dst)
PY
}

[ -f "$STAMP" ] || install
echo "export LAKE_BENCH_PYTHON='$VENV/bin/python'"
echo "export LAKE_BENCH_DUCKDB_EXTENSION_DIR='$EXT_DIR'"
