# shellcheck shell=bash
# MariaDB for tests: sourced by localstack/services.sh, which defines log,
# die, is_root and STATE_DIR. Defines start_mariadb, stop_mariadb,
# status_mariadb.
#
# The server is Debian's mariadbd run as a plain local process on a data
# dir of its own (not the system service): 127.0.0.1 only, its own socket,
# and a root user that logs in over TCP without a password (test only).
MARIADB_DIR=$STATE_DIR/mariadb
MARIADB_DATA=$MARIADB_DIR/data
MARIADB_CNF=$MARIADB_DIR/my.cnf
MARIADB_SOCK=$MARIADB_DIR/mariadb.sock
MARIADB_PID=$MARIADB_DIR/mariadb.pid
MARIADB_LOG=$MARIADB_DIR/mariadb.log
MARIADB_PORT=${LAKE_MARIADB_PORT:-53306}
# mariadbd refuses to run as root, so as root it is told to switch to this
# system user; a non-root developer runs the server as themself.
MARIADB_USER=mysql

# mariadb_bin NAME prints the path of a MariaDB program, if installed.
mariadb_bin() {
	local p
	for p in "/usr/sbin/$1" "/usr/bin/$1"; do
		if [ -x "$p" ]; then
			echo "$p"
			return 0
		fi
	done
	command -v "$1" 2>/dev/null || true
}

install_mariadb() {
	if ! is_root; then
		die "MariaDB server not found (mariadbd, mariadb-install-db); install it with: sudo apt-get install -y mariadb-server"
	fi
	log "installing MariaDB from Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >&2
	apt-get install -y mariadb-server >&2
}

ensure_mariadb_user() {
	is_root || return 0
	if ! id -u "$MARIADB_USER" >/dev/null 2>&1; then
		log "creating system user $MARIADB_USER"
		useradd --system --user-group --no-create-home --home-dir "$MARIADB_DIR" --shell /usr/sbin/nologin "$MARIADB_USER"
	fi
}

# mariadb_running_port prints the port of the running server of this state
# dir, or fails when none runs.
mariadb_running_port() {
	local pid
	[ -f "$MARIADB_PID" ] || return 1
	pid=$(cat "$MARIADB_PID" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A stale pid file may name an unrelated process by now.
	case $(cat "/proc/$pid/comm" 2>/dev/null || echo mariadbd) in
	mariadbd | mysqld) ;;
	*) return 1 ;;
	esac
	# The config of the running server says its port (see start_mariadb).
	sed -n 's/^port[[:space:]]*=[[:space:]]*//p' "$MARIADB_CNF" | head -n 1
}

print_mariadb_exports() {
	local port=$1
	echo "export LAKE_TEST_MARIADB_DSN='root@tcp(127.0.0.1:${port})/'"
}

# mariadb_sql runs SQL through the server's socket as the server's root.
mariadb_sql() {
	"$(mariadb_bin mariadb)" --defaults-file="$MARIADB_CNF" --user=root --batch -e "$1"
}

start_mariadb() {
	local mariadbd install_db port
	mariadbd=$(mariadb_bin mariadbd)
	install_db=$(mariadb_bin mariadb-install-db)
	if [ -z "$mariadbd" ] || [ -z "$install_db" ] || [ -z "$(mariadb_bin mariadb)" ]; then
		install_mariadb
		mariadbd=$(mariadb_bin mariadbd)
		install_db=$(mariadb_bin mariadb-install-db)
		[ -n "$mariadbd" ] && [ -n "$install_db" ] || die "MariaDB installed, but mariadbd or mariadb-install-db is not on the PATH"
	fi
	ensure_mariadb_user

	if port=$(mariadb_running_port); then
		log "mariadb already running on 127.0.0.1:$port ($MARIADB_DATA)"
		print_mariadb_exports "$port"
		return 0
	fi

	mkdir -p "$MARIADB_DIR"
	if is_root; then
		chown "$MARIADB_USER:" "$MARIADB_DIR"
		chmod 700 "$MARIADB_DIR"
	fi

	# Rewritten on every start, so a changed LAKE_MARIADB_PORT takes effect
	# without a new data dir. The [client] section lets mariadb and
	# mariadb-admin find the socket.
	local user_line=""
	is_root && user_line="user = $MARIADB_USER"
	cat >"$MARIADB_CNF" <<EOF
# Written by localstack/services.sh on every start: test settings, not for production.
[mariadbd]
$user_line
datadir = $MARIADB_DATA
socket = $MARIADB_SOCK
pid-file = $MARIADB_PID
log-error = $MARIADB_LOG
tmpdir = $MARIADB_DIR
bind-address = 127.0.0.1
port = $MARIADB_PORT
skip-name-resolve
character-set-server = utf8mb4
collation-server = utf8mb4_unicode_ci
default-time-zone = '+00:00'
innodb-buffer-pool-size = 64M
innodb-log-file-size = 32M
innodb-flush-log-at-trx-commit = 0
sync-binlog = 0
max-connections = 200

[client]
socket = $MARIADB_SOCK
default-character-set = utf8mb4
EOF
	is_root && chown "$MARIADB_USER:" "$MARIADB_CNF"

	if [ ! -d "$MARIADB_DATA/mysql" ] || [ ! -f "$MARIADB_DIR/.installed" ]; then
		log "mariadb-install-db $MARIADB_DATA"
		# Never let a half-made data dir from an interrupted install block this one.
		rm -rf "$MARIADB_DATA" "$MARIADB_DIR/.installed"
		# "normal": root@localhost logs in without a password, over the
		# socket, whoever the OS user is.
		if ! (cd / && "$install_db" --defaults-file="$MARIADB_CNF" --auth-root-authentication-method=normal \
			--skip-test-db >"$MARIADB_DIR/install.log" 2>&1); then
			tail -n 30 "$MARIADB_DIR/install.log" >&2 || true
			die "mariadb-install-db failed; see $MARIADB_DIR/install.log"
		fi
		touch "$MARIADB_DIR/.installed"
	fi

	log "starting mariadb on 127.0.0.1:$MARIADB_PORT (log $MARIADB_LOG)"
	rm -f "$MARIADB_PID"
	# Detached, with no descriptor of ours, so that $(services.sh up) returns.
	# The whole subshell is redirected and execs the server: a shell left
	# waiting on it would hold the pipe of $(services.sh up) open forever.
	(cd / && exec setsid "$mariadbd" --defaults-file="$MARIADB_CNF") </dev/null >/dev/null 2>&1 &

	local i
	for i in $(seq 1 60); do
		if "$(mariadb_bin mariadb-admin)" --defaults-file="$MARIADB_CNF" --user=root --silent ping >/dev/null 2>&1; then
			# The tests connect over TCP as root from 127.0.0.1 (with
			# skip-name-resolve that is not "localhost"): no password,
			# test only.
			if ! mariadb_sql "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
				GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;" >&2; then
				die "could not create root@127.0.0.1 on mariadb; see $MARIADB_LOG"
			fi
			print_mariadb_exports "$MARIADB_PORT"
			return 0
		fi
		sleep 1
	done
	tail -n 30 "$MARIADB_LOG" >&2 || true
	die "mariadb did not start on 127.0.0.1:$MARIADB_PORT within 60s; see $MARIADB_LOG"
}

stop_mariadb() {
	local pid i
	if ! mariadb_running_port >/dev/null; then
		log "mariadb is not running"
		return 0
	fi
	pid=$(cat "$MARIADB_PID")
	log "stopping mariadb ($MARIADB_DATA)"
	# SIGTERM is mariadbd's clean shutdown.
	kill -TERM "$pid"
	for i in $(seq 1 60); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 1
	done
	die "mariadb (pid $pid) did not stop within 60s"
}

status_mariadb() {
	local port
	if port=$(mariadb_running_port); then
		echo "mariadb: running on 127.0.0.1:$port ($MARIADB_DATA)"
		return 0
	fi
	echo "mariadb: stopped"
	return 1
}
