package testenv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv names the variable holding a superuser URL of the test
// PostgreSQL server, for example postgres://postgres@127.0.0.1:55432/postgres.
const PostgresEnv = "LAKE_TEST_POSTGRES_URL"

// Postgres returns the test PostgreSQL URL, or ends the test: a failure under
// CI=true, a skip that says how to start the server otherwise.
func Postgres(t testing.TB) string {
	t.Helper()
	return require(t, PostgresEnv, "PostgreSQL")
}

func require(t testing.TB, env, what string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		return v
	}
	msg := what + " test server not configured (" + env + " is empty); start it with: eval \"$(make services)\""
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// NewPostgresDB creates a database of its own for one test on the test
// server, runs the setup statements in it, drops it when the test ends,
// and returns its URL.
func NewPostgresDB(t testing.TB, setup ...string) string {
	t.Helper()
	base := Postgres(t)
	ctx := context.Background()
	root, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to the test PostgreSQL (%s): %v", PostgresEnv, err)
	}
	t.Cleanup(func() { root.Close(ctx) })
	name := fmt.Sprintf("lake_test_%016x", rand.Uint64())
	if _, err := root.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := root.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	u.Path = "/" + name
	if len(setup) > 0 {
		conn, err := pgx.Connect(ctx, u.String())
		if err != nil {
			t.Fatalf("connect to %s: %v", name, err)
		}
		defer conn.Close(ctx)
		for _, q := range setup {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	return u.String()
}
