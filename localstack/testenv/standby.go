package testenv

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresStandbyEnv names the variable holding a superuser URL of the hot
// standby of the test PostgreSQL server (localstack/services/standby.sh).
const PostgresStandbyEnv = "LAKE_TEST_POSTGRES_STANDBY_URL"

// PostgresStandby returns the standby's URL, or ends the test as Postgres
// does when the server is missing.
func PostgresStandby(t testing.TB) string {
	t.Helper()
	return require(t, PostgresStandbyEnv, "PostgreSQL standby")
}

// OnStandby returns dsn, a URL of a database on the test server, pointed
// at the same database on its standby.
func OnStandby(t testing.TB, dsn string) string {
	t.Helper()
	standby, err := url.Parse(PostgresStandby(t))
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresStandbyEnv, err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", dsn, err)
	}
	u.Host = standby.Host
	return u.String()
}

// WaitForStandby waits until the standby has replayed everything the
// primary had written when it was called: a database or rows made just
// before are then there to read.
func WaitForStandby(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	primary, err := pgx.Connect(ctx, Postgres(t))
	if err != nil {
		t.Fatalf("connect to the primary: %v", err)
	}
	defer primary.Close(ctx)
	// The insert position, not pg_current_wal_lsn's write position: the
	// test server commits with synchronous_commit = off, so a commit may
	// not be written yet, and the standby gets it only once it is.
	var lsn string
	if err := primary.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		t.Fatalf("primary's WAL position: %v", err)
	}
	standby, err := pgx.Connect(ctx, PostgresStandby(t))
	if err != nil {
		t.Fatalf("connect to the standby: %v", err)
	}
	defer standby.Close(ctx)
	for {
		var done bool
		err := standby.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&done)
		if err != nil {
			t.Fatalf("standby's replay position: %v", err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the standby has not replayed the primary's WAL up to %s after a minute", lsn)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// SetOnStandby changes server settings of the standby (ALTER SYSTEM, then
// a reload) until the test ends, when they are reset. Tests that call it
// must not run in parallel with other users of the standby.
func SetOnStandby(t testing.TB, settings map[string]string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, PostgresStandby(t))
	if err != nil {
		t.Fatalf("connect to the standby: %v", err)
	}
	alter := func(sql string) {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("standby: %s: %v", sql, err)
		}
	}
	reload := func() {
		if _, err := conn.Exec(ctx, "SELECT pg_reload_conf()"); err != nil {
			t.Fatalf("standby: reload: %v", err)
		}
	}
	t.Cleanup(func() {
		defer conn.Close(ctx)
		for name := range settings {
			alter("ALTER SYSTEM RESET " + pgx.Identifier{name}.Sanitize())
		}
		reload()
	})
	for name, value := range settings {
		alter("ALTER SYSTEM SET " + pgx.Identifier{name}.Sanitize() + " = " + quoteLiteral(value))
	}
	reload()
	// A reload is asynchronous: wait until this session sees the values.
	for name, value := range settings {
		deadline := time.Now().Add(10 * time.Second)
		for {
			var got string
			if err := conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got); err != nil {
				t.Fatalf("standby: show %s: %v", name, err)
			}
			if got == value || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func quoteLiteral(s string) string {
	out := []byte{'\''}
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(append(out, '\''))
}
