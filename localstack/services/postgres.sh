# shellcheck shell=bash
# PostgreSQL for tests: sourced by localstack/services.sh, which defines
# log, die, is_root and STATE_DIR. Defines start_postgres, stop_postgres,
# status_postgres.
PG_DIR=$STATE_DIR/postgres
PG_DATA=$PG_DIR/data
PG_LOG=$PG_DIR/postgres.log
PG_PORT=${LAKE_PG_PORT:-55432}
# PostgreSQL refuses to run as root, so as root every server command runs as
# this system user; a non-root developer runs the server as themself.
PG_USER=postgres

# pg_bin prints the newest Debian PostgreSQL server bin directory, if any.
pg_bin() {
	local dir
	dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$dir" ] && [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then
		echo "$dir"
	fi
}

# as_pg runs a server command as the user that owns the cluster, from a
# directory that user can read.
as_pg() {
	if is_root; then
		(cd / && runuser -u "$PG_USER" -- "$@")
	else
		(cd / && "$@")
	fi
}

install_postgres() {
	if ! is_root; then
		die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them with: sudo apt-get install -y postgresql"
	fi
	log "installing PostgreSQL from Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y postgresql >&2
}

ensure_pg_user() {
	is_root || return 0
	if ! id -u "$PG_USER" >/dev/null 2>&1; then
		log "creating system user $PG_USER"
		useradd --system --user-group --no-create-home --home-dir "$PG_DIR" --shell /usr/sbin/nologin "$PG_USER"
	fi
}

# pg_running_port prints the port of the running server of this state dir, or
# fails when none runs.
pg_running_port() {
	local bin=$1
	[ -f "$PG_DATA/postmaster.pid" ] || return 1
	as_pg "$bin/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 || return 1
	# Line 4 of postmaster.pid is the port the server listens on.
	sed -n 4p "$PG_DATA/postmaster.pid"
}

print_postgres_exports() {
	local port=$1
	echo "export LAKE_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable'"
}

start_postgres() {
	local bin port
	bin=$(pg_bin)
	if [ -z "$bin" ]; then
		install_postgres
		bin=$(pg_bin)
		[ -n "$bin" ] || die "PostgreSQL installed, but no server binaries under /usr/lib/postgresql/*/bin"
	fi
	ensure_pg_user

	if port=$(pg_running_port "$bin"); then
		log "postgres already running on 127.0.0.1:$port ($PG_DATA)"
		print_postgres_exports "$port"
		return 0
	fi

	mkdir -p "$PG_DIR"
	if is_root; then
		chown "$PG_USER:" "$PG_DIR"
		chmod 700 "$PG_DIR"
	fi

	if [ ! -f "$PG_DATA/PG_VERSION" ]; then
		log "initdb $PG_DATA with $bin"
		# Never let a half-made data dir from an interrupted initdb block this one.
		rm -rf "$PG_DATA"
		as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust --no-sync --encoding=UTF8 --locale=C.UTF-8 >&2 ||
			as_pg "$bin/initdb" -D "$PG_DATA" -U postgres --auth=trust --no-sync --encoding=UTF8 --locale=C >&2
		# Settings live in an included file that every start rewrites, so a
		# changed LAKE_PG_PORT takes effect without a new initdb.
		as_pg sh -c "echo \"include_if_exists = 'lake.conf'\" >> '$PG_DATA/postgresql.conf'"
	elif [ "$(cat "$PG_DATA/PG_VERSION")" != "$(basename "$(dirname "$bin")")" ]; then
		die "$PG_DATA was made by PostgreSQL $(cat "$PG_DATA/PG_VERSION"), but $bin is newer; remove $PG_DIR and run up again"
	fi

	# A self-signed certificate, so that tests can connect over TLS as
	# production sources are (sslmode=require); plain connections work too.
	if [ ! -f "$PG_DATA/server.key" ]; then
		if ! command -v openssl >/dev/null; then
			is_root || die "openssl not found; it makes the test server's TLS certificate: sudo apt-get install -y openssl"
			log "installing openssl from Debian packages (the test server's TLS certificate)"
			DEBIAN_FRONTEND=noninteractive apt-get install -y openssl >&2 ||
				{ apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y openssl >&2; } ||
				die "could not install openssl"
		fi
		as_pg openssl req -new -x509 -nodes -days 36500 -subj /CN=127.0.0.1 \
			-keyout "$PG_DATA/server.key" -out "$PG_DATA/server.crt" >/dev/null 2>&1 ||
			die "openssl could not make a certificate in $PG_DATA"
		as_pg chmod 600 "$PG_DATA/server.key"
	fi

	as_pg sh -c "cat > '$PG_DATA/lake.conf'" <<EOF
# Written by localstack/services.sh on every start: test settings, not for production.
listen_addresses = '127.0.0.1'
port = $PG_PORT
ssl = on
unix_socket_directories = '$PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF

	# Trust, for local tests, except for members of the group role
	# lake_password_auth: tests that need a password to be checked (a wrong
	# one must fail) make their login role a member of it. Replication
	# connections serve the standby (standby.sh).
	as_pg sh -c "cat > '$PG_DATA/pg_hba.conf'" <<EOF
# Written by localstack/services.sh on every start: test settings, not for production.
local all +lake_password_auth scram-sha-256
host  all +lake_password_auth 127.0.0.1/32 scram-sha-256
local all all trust
host  all all 127.0.0.1/32 trust
host  replication all 127.0.0.1/32 trust
EOF

	log "starting postgres on 127.0.0.1:$PG_PORT (log $PG_LOG)"
	if ! as_pg "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >&2; then
		tail -n 30 "$PG_LOG" >&2 || true
		die "postgres did not start; see $PG_LOG"
	fi

	local i
	for i in $(seq 1 60); do
		if "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres; then
			print_postgres_exports "$PG_PORT"
			return 0
		fi
		sleep 1
	done
	tail -n 30 "$PG_LOG" >&2 || true
	die "postgres started but is not ready on 127.0.0.1:$PG_PORT after 60s; see $PG_LOG"
}

stop_postgres() {
	local bin
	bin=$(pg_bin)
	if [ -z "$bin" ] || ! pg_running_port "$bin" >/dev/null; then
		log "postgres is not running"
		return 0
	fi
	log "stopping postgres ($PG_DATA)"
	as_pg "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >&2
}

status_postgres() {
	local bin port
	bin=$(pg_bin)
	if [ -n "$bin" ] && port=$(pg_running_port "$bin"); then
		echo "postgres: running on 127.0.0.1:$port ($PG_DATA)"
		return 0
	fi
	echo "postgres: stopped"
	return 1
}

