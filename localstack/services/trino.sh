# shellcheck shell=bash
# Trino for tests: two real Trino 476 servers (two clusters), started in
# parallel as plain JVMs from the trino-server-core tarball and the hive
# plugin on Maven Central. Each has its own file metastore and reads the test
# S3 server (LocalStack, see s3.sh, which must be started first). Server 1
# also has a second, empty hive catalog "fresh" with a metastore of its own:
# the "brand new cluster" of the tests, at no extra JVM.
#
# Trino 476 needs JDK 24+: Temurin 25 is used (435, the last release for
# Java 17, is not downloadable from the Maven mirror here). Sourced by
# localstack/services.sh, which defines log, die and STATE_DIR; uses S3_PORT
# and S3_BUCKET from s3.sh. Defines start_trino, stop_trino, status_trino.
#
# Environment:
#   LAKE_TRINO_PORT1, LAKE_TRINO_PORT2  HTTP ports on 127.0.0.1; default 58080, 58081
#   LAKE_TRINO_JAVA                     a JDK 24+ home; default /usr/lib/jvm/temurin-25-jdk-amd64
#   LAKE_TEST_CACHE                     downloads; default ~/.cache/lake-test
TRINO_VERSION=476
TRINO_DIR=$STATE_DIR/trino
TRINO_PORTS=("${LAKE_TRINO_PORT1:-58080}" "${LAKE_TRINO_PORT2:-58081}")
TRINO_JAVA=${LAKE_TRINO_JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64}
TRINO_CACHE=${LAKE_TEST_CACHE:-$HOME/.cache/lake-test}/trino
TRINO_HOME=$TRINO_CACHE/trino-server-core-$TRINO_VERSION
TRINO_AOT=$TRINO_CACHE/aot/trino-$TRINO_VERSION.aot

# install_trino downloads the server core and the hive plugin once, and
# keeps only what the hive connector on S3 and local files needs (~260 MB
# instead of ~480 MB).
install_trino() {
	[ -d "$TRINO_HOME/plugin/hive" ] && [ -d "$TRINO_HOME/lib" ] && return 0
	local repo=https://repo1.maven.org/maven2/io/trino
	mkdir -p "$TRINO_CACHE"
	local core=$TRINO_CACHE/trino-server-core-$TRINO_VERSION.tar.gz hive=$TRINO_CACHE/trino-hive-$TRINO_VERSION.zip
	if [ ! -f "$core" ]; then
		log "downloading trino-server-core $TRINO_VERSION (194 MB) into $TRINO_CACHE"
		curl -fsS -o "$core.tmp" "$repo/trino-server-core/$TRINO_VERSION/trino-server-core-$TRINO_VERSION.tar.gz" || die "download of trino-server-core failed"
		mv "$core.tmp" "$core"
	fi
	if [ ! -f "$hive" ]; then
		log "downloading trino-hive $TRINO_VERSION (258 MB) into $TRINO_CACHE"
		curl -fsS -o "$hive.tmp" "$repo/trino-hive/$TRINO_VERSION/trino-hive-$TRINO_VERSION.zip" || die "download of trino-hive failed"
		mv "$hive.tmp" "$hive"
	fi
	log "unpacking Trino $TRINO_VERSION into $TRINO_HOME"
	rm -rf "$TRINO_HOME" "$TRINO_HOME.tmp"
	mkdir -p "$TRINO_HOME.tmp"
	tar xzf "$core" -C "$TRINO_HOME.tmp" --strip-components=1 || die "could not unpack $core"
	(
		cd "$TRINO_HOME.tmp" || exit 1
		rm -rf secrets-plugin plugin/*
		unzip -q "$hive" -d plugin && mv "plugin/trino-hive-$TRINO_VERSION" plugin/hive
		cd plugin/hive && rm -f org.rocksdb_* org.alluxio_* io.trino_trino-filesystem-alluxio-* \
			io.trino_trino-filesystem-cache-alluxio-* io.trino_trino-filesystem-gcs-* io.trino_trino-filesystem-azure-* \
			io.grpc_* com.google.api.grpc_* org.conscrypt_* com.google.cloud* com.azure_* com.microsoft*
	) || die "could not unpack $hive"
	mv "$TRINO_HOME.tmp" "$TRINO_HOME"
}

# trino_config writes the etc/ of server n (0-based) under $TRINO_DIR/sn.
trino_config() {
	local n=$1 port=${TRINO_PORTS[$1]} d=$TRINO_DIR/s$1
	mkdir -p "$d/etc/catalog" "$d/data"
	cat >"$d/etc/config.properties" <<EOF
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$port
discovery.uri=http://127.0.0.1:$port
node.internal-address=127.0.0.1
query.max-memory=256MB
query.max-memory-per-node=256MB
plugin.dir=$TRINO_HOME/plugin
catalog.config-dir=$d/etc/catalog
EOF
	# C1 only (TieredStopAtLevel=1) halves the start time; tests run short queries.
	cat >"$d/etc/jvm.config" <<EOF
-server
-Xmx1G
-XX:+UseG1GC
-XX:G1HeapRegionSize=32M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
-XX:+EnableDynamicAgentLoading
-Duser.timezone=UTC
-XX:TieredStopAtLevel=1
EOF
	echo "io.trino=WARN" >"$d/etc/log.properties"
	local catalogs=(hive)
	[ "$n" = 0 ] && catalogs+=(fresh)
	local c
	for c in "${catalogs[@]}"; do
		# Parquet columns are matched by name (lake adds columns; files of
		# older nights lack them), timestamps keep their microseconds.
		cat >"$d/etc/catalog/$c.properties" <<EOF
connector.name=hive
hive.metastore=file
hive.metastore.catalog.dir=local:///metastore-$c
hive.allow-register-partition-procedure=true
hive.timestamp-precision=MICROSECONDS
hive.parquet.use-column-names=true
fs.native-s3.enabled=true
fs.native-local.enabled=true
local.location=$d
s3.endpoint=http://127.0.0.1:$S3_PORT
s3.region=us-east-1
s3.path-style-access=true
s3.aws-access-key=test
s3.aws-secret-key=test
EOF
	done
}

# trino_query runs one statement on port $1 through the client protocol and
# fails unless it finishes without an error.
trino_query() {
	local port=$1 sql=$2 body uri polls=0
	body=$(curl -fsS -m 5 -X POST -H 'X-Trino-User: lake' --data "$sql" "http://127.0.0.1:$port/v1/statement" 2>/dev/null) || return 1
	# Bounded: a query that stays queued (no worker yet) is "not ready".
	while [ $((polls += 1)) -le 50 ]; do
		case $body in *'"error"'*) return 1 ;; esac
		uri=$(printf '%s' "$body" | sed -n 's/.*"nextUri":"\([^"]*\)".*/\1/p')
		[ -n "$uri" ] || return 0
		body=$(curl -fsS -m 5 -H 'X-Trino-User: lake' "$uri" 2>/dev/null) || return 1
	done
	return 1
}

# trino_ready: started, and a query runs (for a few seconds after
# "starting":false, queries fail with NO_NODES_AVAILABLE).
trino_ready() {
	curl -fsS "http://127.0.0.1:$1/v1/info" 2>/dev/null | grep -q '"starting":false' && trino_query "$1" 'SELECT 1'
}

print_trino_exports() {
	echo "export LAKE_TEST_TRINO1_URL='http://127.0.0.1:${TRINO_PORTS[0]}'"
	echo "export LAKE_TEST_TRINO2_URL='http://127.0.0.1:${TRINO_PORTS[1]}'"
}

start_trino() {
	local n running=0
	for n in 0 1; do trino_ready "${TRINO_PORTS[$n]}" && running=$((running + 1)); done
	if [ "$running" = 2 ]; then
		log "trino already running on 127.0.0.1:${TRINO_PORTS[0]} and :${TRINO_PORTS[1]}"
		print_trino_exports
		return 0
	fi
	[ -x "$TRINO_JAVA/bin/java" ] || die "Trino $TRINO_VERSION needs a JDK 24 or later; none at $TRINO_JAVA (install Temurin 25, or set LAKE_TRINO_JAVA to a JDK 24+ home)"
	[ -n "${S3_PORT:-}" ] || die "trino needs the s3 service (start it first)"
	install_trino
	local aot=()
	# An AOT cache (JDK 25) saves ~5 s per start; a stale one only warns.
	[ -f "$TRINO_AOT" ] && aot=(-XX:AOTCache="$TRINO_AOT" -Xlog:aot=off -Xlog:cds=off)
	for n in 0 1; do
		trino_ready "${TRINO_PORTS[$n]}" && continue
		stop_trino_server "$n"
		local d=$TRINO_DIR/s$n
		# A fresh server starts with empty metastores: tests use prefixes of their own.
		rm -rf "$d"
		trino_config "$n"
		log "starting Trino $TRINO_VERSION server $((n + 1)) on 127.0.0.1:${TRINO_PORTS[$n]} (log $d/server.log)"
		local jvm
		mapfile -t jvm <"$d/etc/jvm.config"
		(
			cd "$d/data" || exit 1
			exec setsid "$TRINO_JAVA/bin/java" -cp "$TRINO_HOME/lib/*" "${jvm[@]}" "${aot[@]}" \
				-Dnode.id="lake-test-$n" -Dnode.environment=test -Dnode.data-dir="$d/data" \
				-Dlog.levels-file="$d/etc/log.properties" -Dconfig="$d/etc/config.properties" \
				io.trino.server.TrinoServer </dev/null >"$d/server.log" 2>&1
		) &
		echo $! >"$d/pid"
	done
	local i ok
	for i in $(seq 1 240); do
		ok=0
		for n in 0 1; do
			if trino_ready "${TRINO_PORTS[$n]}"; then
				ok=$((ok + 1))
			elif ! kill -0 "$(cat "$TRINO_DIR/s$n/pid")" 2>/dev/null; then
				tail -n 30 "$TRINO_DIR/s$n/server.log" >&2 || true
				die "Trino server $((n + 1)) exited; see $TRINO_DIR/s$n/server.log"
			fi
		done
		if [ "$ok" = 2 ]; then
			print_trino_exports
			return 0
		fi
		sleep 0.5
	done
	die "Trino did not become ready in 120 s; see $TRINO_DIR/s*/server.log"
}

stop_trino_server() {
	local pidfile=$TRINO_DIR/s$1/pid pid
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		log "stopping Trino server $(($1 + 1)) (pid $pid)"
		kill "$pid"
		local i
		for i in $(seq 1 40); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.25
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

stop_trino() {
	stop_trino_server 1
	stop_trino_server 0
}

status_trino() {
	local n rc=0
	for n in 0 1; do
		if trino_ready "${TRINO_PORTS[$n]}"; then
			echo "trino: server $((n + 1)) running on 127.0.0.1:${TRINO_PORTS[$n]} ($TRINO_DIR/s$n)"
		else
			echo "trino: server $((n + 1)) stopped"
			rc=1
		fi
	done
	return "$rc"
}
