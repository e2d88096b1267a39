# shellcheck shell=bash
# A hot standby of the test PostgreSQL, for tests that read from a replica
# the way a nightly job should read production: sourced by
# localstack/services.sh after postgres.sh (whose pg_bin, as_pg, PG_USER,
# PG_PORT and PG_DATA it uses). Defines start_standby, stop_standby,
# status_standby.
#
# The standby streams the primary's WAL (pg_basebackup -R) and serves
# read-only queries. Its settings are PostgreSQL's defaults for a standby
# (hot_standby_feedback off, max_standby_streaming_delay 30s): replay
# waits 30 seconds for a conflicting query before cancelling it, which a
# test can shorten with ALTER SYSTEM on the standby.
STANDBY_DIR=$STATE_DIR/standby
STANDBY_DATA=$STANDBY_DIR/data
STANDBY_LOG=$STANDBY_DIR/postgres.log
STANDBY_PORT=${LAKE_PG_STANDBY_PORT:-55433}

standby_running_port() {
	local bin=$1
	[ -f "$STANDBY_DATA/postmaster.pid" ] || return 1
	as_pg "$bin/pg_ctl" -D "$STANDBY_DATA" status >/dev/null 2>&1 || return 1
	sed -n 4p "$STANDBY_DATA/postmaster.pid"
}

print_standby_exports() {
	echo "export LAKE_TEST_POSTGRES_STANDBY_URL='postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable'"
}

start_standby() {
	local bin port
	bin=$(pg_bin)
	[ -n "$bin" ] || die "standby: no PostgreSQL server binaries; run: bash localstack/services.sh up postgres standby"
	if port=$(standby_running_port "$bin"); then
		log "standby already running on 127.0.0.1:$port ($STANDBY_DATA)"
		print_standby_exports "$port"
		return 0
	fi
	port=$(pg_running_port "$bin") || die "standby: the primary is not running; run: bash localstack/services.sh up postgres standby"

	# A stopped standby may be too far behind to catch up (the primary
	# keeps no WAL for it): every start copies the primary afresh, which
	# takes seconds for the test databases.
	log "copying the primary on 127.0.0.1:$port into $STANDBY_DATA (pg_basebackup)"
	mkdir -p "$STANDBY_DIR"
	if is_root; then
		chown "$PG_USER:" "$STANDBY_DIR"
		chmod 700 "$STANDBY_DIR"
	fi
	rm -rf "$STANDBY_DATA"
	as_pg "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U postgres -D "$STANDBY_DATA" -R -X stream -c fast >&2 ||
		die "standby: pg_basebackup from 127.0.0.1:$port failed"

	# The copy carries the primary's lake.conf; the standby's own is
	# included after it, so its port and socket win.
	as_pg sh -c "cat > '$STANDBY_DATA/lake.conf'" <<EOF
# Written by localstack/services.sh on every start: test settings, not for production.
listen_addresses = '127.0.0.1'
port = $STANDBY_PORT
unix_socket_directories = '$STANDBY_DIR'
fsync = off
max_connections = 200
hot_standby = on
EOF

	log "starting the standby on 127.0.0.1:$STANDBY_PORT (log $STANDBY_LOG)"
	if ! as_pg "$bin/pg_ctl" -D "$STANDBY_DATA" -l "$STANDBY_LOG" -w -t 60 start >&2; then
		tail -n 30 "$STANDBY_LOG" >&2 || true
		die "standby did not start; see $STANDBY_LOG"
	fi
	local i
	for i in $(seq 1 60); do
		if [ "$("$bin/psql" -h 127.0.0.1 -p "$STANDBY_PORT" -U postgres -d postgres -Atc \
			"SELECT pg_is_in_recovery() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')" 2>/dev/null)" = t ]; then
			print_standby_exports "$STANDBY_PORT"
			return 0
		fi
		sleep 1
	done
	tail -n 30 "$STANDBY_LOG" >&2 || true
	die "standby started but does not stream from the primary after 60s; see $STANDBY_LOG"
}

stop_standby() {
	local bin
	bin=$(pg_bin)
	if [ -z "$bin" ] || ! standby_running_port "$bin" >/dev/null; then
		log "standby is not running"
		return 0
	fi
	log "stopping the standby ($STANDBY_DATA)"
	as_pg "$bin/pg_ctl" -D "$STANDBY_DATA" -m fast -w -t 60 stop >&2
}

status_standby() {
	local bin port
	bin=$(pg_bin)
	if [ -n "$bin" ] && port=$(standby_running_port "$bin"); then
		echo "standby: running on 127.0.0.1:$port ($STANDBY_DATA)"
		return 0
	fi
	echo "standby: stopped"
	return 1
}
