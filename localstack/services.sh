#!/usr/bin/env bash
# Starts the real servers that lake's tests and local development use, as
# plain local processes (no Docker).
#
#   bash localstack/services.sh up [service...]      start (idempotent), print exports
#   bash localstack/services.sh down [service...]    stop
#   bash localstack/services.sh status [service...]  say what runs; exit 1 if something is down
#
# `up` prints only `export NAME='value'` lines on stdout, so
#   eval "$(bash localstack/services.sh up)"
# configures the current shell; every log line goes to stderr.
#
# Services: postgres, standby (a hot standby of postgres; needs it), mariadb, s3 (LocalStack), trino (two servers; needs s3). Each is a file localstack/services/<name>.sh with
# start_<name>, stop_<name> and status_<name>; add it to SERVICES below.
#
# Environment:
#   LAKE_SERVICES_DIR  state (data, sockets, logs); default /tmp/lake-services
#   LAKE_PG_PORT       PostgreSQL port on 127.0.0.1; default 55432
#   LAKE_PG_STANDBY_PORT  its standby's port on 127.0.0.1; default 55433
#   LAKE_S3_PORT       LocalStack (S3) port on 127.0.0.1; default 54566
#   LAKE_MARIADB_PORT  MariaDB port on 127.0.0.1; default 53306
#   LAKE_TRINO_PORT1, LAKE_TRINO_PORT2  the two Trino servers' ports; default 58080, 58081
set -euo pipefail

SERVICES=(postgres standby mariadb s3 trino)

STATE_DIR=${LAKE_SERVICES_DIR:-/tmp/lake-services}

log() { echo "services: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }

# Each service lives in localstack/services/<name>.sh and defines
# start_<name> (prints its export lines), stop_<name> and status_<name>.
SERVICES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/services
for s in "${SERVICES[@]}"; do
	# shellcheck source=/dev/null
	. "$SERVICES_DIR/$s.sh"
done

# -------------------------------------------------------------------- main

usage() {
	echo "usage: $0 up|down|status [${SERVICES[*]}]" >&2
	exit 2
}

main() {
	[ $# -ge 1 ] || usage
	local cmd=$1
	shift
	local selected=("$@")
	[ ${#selected[@]} -gt 0 ] || selected=("${SERVICES[@]}")
	local s
	for s in "${selected[@]}"; do
		case " ${SERVICES[*]} " in
		*" $s "*) ;;
		*) die "unknown service $s (known: ${SERVICES[*]})" ;;
		esac
	done

	case $cmd in
	up)
		for s in "${selected[@]}"; do "start_$s"; done
		;;
	down)
		# Stop in reverse order of start.
		local i
		for ((i = ${#selected[@]} - 1; i >= 0; i--)); do "stop_${selected[i]}"; done
		;;
	status)
		local rc=0
		for s in "${selected[@]}"; do "status_$s" || rc=1; done
		return "$rc"
		;;
	*) usage ;;
	esac
}

main "$@"
