# shellcheck shell=bash
# S3 for tests: LocalStack (the server users run with Docker), installed from
# PyPI into a virtualenv and run on the host with only its S3 service. Also
# installs DuckDB's httpfs extension for offline use, since the tests that
# read an s3:// warehouse through DuckDB need it. Sourced by
# localstack/services.sh, which defines log, die and STATE_DIR. Defines
# start_s3, stop_s3, status_s3.
#
# Environment:
#   LAKE_S3_PORT      LocalStack gateway port on 127.0.0.1; default 54566
#   LAKE_TEST_CACHE   downloads; default ~/.cache/lake-test
S3_DIR=$STATE_DIR/s3
S3_LOG=$S3_DIR/localstack.log
S3_PIDFILE=$S3_DIR/localstack.pid
S3_PORT=${LAKE_S3_PORT:-54566}
S3_BUCKET=lake-test
# The last open-source LocalStack release; later ones may need an account token.
LOCALSTACK_VERSION=4.14.0
# The DuckDB that duckdb-go v2.10505.0 links, and the httpfs built for it.
DUCKDB_VERSION=1.5.5
LAKE_CACHE=${LAKE_TEST_CACHE:-$HOME/.cache/lake-test}
S3_VENV=$LAKE_CACHE/localstack-$LOCALSTACK_VERSION-venv
HTTPFS_DIR=$LAKE_CACHE/duckdb-extensions

# shellcheck source=localstack/python.sh
. "$(dirname "${BASH_SOURCE[0]}")/../python.sh"

install_localstack() {
	if [ -x "$S3_VENV/bin/python" ] && "$S3_VENV/bin/python" -c 'import localstack.runtime.main, cbor2._decoder, service_identity, OpenSSL.crypto as c; c.X509().add_extensions' 2>/dev/null; then
		return 0
	fi
	log "installing localstack-core $LOCALSTACK_VERSION into $S3_VENV"
	local py
	py=$(python312) || die "LocalStack $LOCALSTACK_VERSION needs Python >= 3.12; install one (e.g. pyenv install 3.12) and run up again"
	rm -rf "$S3_VENV"
	"$py" -m venv "$S3_VENV" >&2 || die "$py -m venv failed"
	# cbor2 6 dropped the module LocalStack 4.14 imports (cbor2._decoder);
	# twisted needs service_identity, which the extra leaves out.
	# pyOpenSSL 26 dropped X509.add_extensions, which LocalStack 4.14 calls
	# to make its TLS certificate at first start; pyOpenSSL 25 needs
	# cryptography < 47, which service_identity 26 refuses.
	"$S3_VENV/bin/pip" install -q "localstack-core[base-runtime]==$LOCALSTACK_VERSION" "cbor2==5.8.0" "service_identity==24.2.0" \
		"pyOpenSSL==25.3.0" "cryptography==46.0.7" >&2 ||
		{ rm -rf "$S3_VENV"; die "pip install localstack-core failed"; }
}

# install_httpfs puts the signed httpfs extension from PyPI where DuckDB's
# extension_directory setting finds it: <dir>/v<version>/linux_amd64/.
install_httpfs() {
	local target=$HTTPFS_DIR/v$DUCKDB_VERSION/linux_amd64/httpfs.duckdb_extension
	[ -f "$target" ] && return 0
	[ "$(uname -m)" = x86_64 ] || { log "no httpfs wheel for $(uname -m) here; DuckDB will INSTALL httpfs online"; return 0; }
	log "installing DuckDB httpfs $DUCKDB_VERSION into $HTTPFS_DIR"
	local tmp
	tmp=$(mktemp -d)
	python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
		--python-version 3.11 -d "$tmp" "duckdb-extension-httpfs==$DUCKDB_VERSION" >&2 ||
		{ rm -rf "$tmp"; die "pip download duckdb-extension-httpfs==$DUCKDB_VERSION failed"; }
	mkdir -p "$(dirname "$target")"
	python3 - "$tmp"/*.whl "$target" <<'EOF' || { rm -rf "$tmp"; die "could not unpack the httpfs wheel"; }
import sys, zipfile, shutil
whl, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith("/httpfs.duckdb_extension"))
    with z.open(name) as src, open(target + ".tmp", "wb") as dst:
        shutil.copyfileobj(src, dst)
import os
os.replace(target + ".tmp", target)
EOF
	rm -rf "$tmp"
}

s3_healthy() {
	curl -fsS "http://127.0.0.1:$S3_PORT/_localstack/health" 2>/dev/null | grep -q '"s3": "\(running\|available\)"'
}

print_s3_exports() {
	echo "export LAKE_TEST_S3_ENDPOINT='http://127.0.0.1:$S3_PORT'"
	echo "export LAKE_TEST_S3_BUCKET='$S3_BUCKET'"
	echo "export AWS_ACCESS_KEY_ID='test'"
	echo "export AWS_SECRET_ACCESS_KEY='test'"
	echo "export AWS_REGION='us-east-1'"
	if [ -f "$HTTPFS_DIR/v$DUCKDB_VERSION/linux_amd64/httpfs.duckdb_extension" ]; then
		echo "export LAKE_DUCKDB_EXTENSION_DIR='$HTTPFS_DIR'"
	fi
}

create_s3_bucket() {
	# LocalStack does not check signatures, so a plain PUT creates the bucket.
	if ! curl -fsS -o /dev/null "http://127.0.0.1:$S3_PORT/$S3_BUCKET" 2>/dev/null; then
		curl -fsS -o /dev/null -X PUT "http://127.0.0.1:$S3_PORT/$S3_BUCKET" || die "could not create bucket $S3_BUCKET"
	fi
}

start_s3() {
	install_httpfs
	if s3_healthy; then
		log "s3 (LocalStack) already running on 127.0.0.1:$S3_PORT"
		create_s3_bucket
		print_s3_exports
		return 0
	fi
	install_localstack
	mkdir -p "$S3_DIR/state"
	log "starting LocalStack $LOCALSTACK_VERSION (s3) on 127.0.0.1:$S3_PORT (log $S3_LOG)"
	(
		cd "$S3_DIR" || exit 1
		SERVICES=s3 GATEWAY_LISTEN=127.0.0.1:$S3_PORT DNS_ADDRESS=0 FILESYSTEM_ROOT=$S3_DIR/state \
			LOCALSTACK_HOST=127.0.0.1:$S3_PORT EAGER_SERVICE_LOADING=1 SKIP_INFRA_DOWNLOADS=1 \
			DISABLE_EVENTS=1 LS_LOG=warn \
			setsid "$S3_VENV/bin/python" -m localstack.runtime.main </dev/null >"$S3_LOG" 2>&1 &
		echo $! >"$S3_PIDFILE"
	)
	local i
	for i in $(seq 1 120); do
		if s3_healthy; then
			create_s3_bucket
			print_s3_exports
			return 0
		fi
		if ! kill -0 "$(cat "$S3_PIDFILE")" 2>/dev/null; then
			tail -n 30 "$S3_LOG" >&2 || true
			die "LocalStack exited; see $S3_LOG"
		fi
		sleep 0.5
	done
	tail -n 30 "$S3_LOG" >&2 || true
	die "LocalStack started but s3 is not healthy on 127.0.0.1:$S3_PORT after 60s; see $S3_LOG"
}

stop_s3() {
	if [ ! -f "$S3_PIDFILE" ] || ! kill -0 "$(cat "$S3_PIDFILE")" 2>/dev/null; then
		log "s3 (LocalStack) is not running"
		return 0
	fi
	local pid
	pid=$(cat "$S3_PIDFILE")
	log "stopping LocalStack (pid $pid)"
	kill "$pid"
	local i
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$S3_PIDFILE"; return 0; }
		sleep 0.25
	done
	kill -9 "$pid" 2>/dev/null || true
	rm -f "$S3_PIDFILE"
}

status_s3() {
	if s3_healthy; then
		echo "s3: LocalStack running on 127.0.0.1:$S3_PORT ($S3_DIR)"
		return 0
	fi
	echo "s3: stopped"
	return 1
}
