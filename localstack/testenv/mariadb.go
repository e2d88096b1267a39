package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// MariaDBEnv names the variable holding a DSN of the test MariaDB server
// for a user that may create databases, in the driver's form, for example
// root@tcp(127.0.0.1:53306)/.
const MariaDBEnv = "LAKE_TEST_MARIADB_DSN"

// MariaDB returns the test MariaDB DSN, or ends the test: a failure under
// CI=true, a skip that says how to start the server otherwise.
func MariaDB(t testing.TB) string {
	t.Helper()
	return require(t, MariaDBEnv, "MariaDB")
}

// NewMariaDB creates a database of its own for one test on the test
// server, drops it when the test ends, and returns a DSN that uses it.
func NewMariaDB(t testing.TB) string {
	t.Helper()
	base := MariaDB(t)
	cfg, err := mysqldrv.ParseDSN(base)
	if err != nil {
		t.Fatalf("parse %s: %v", MariaDBEnv, err)
	}
	ctx := context.Background()
	root, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatalf("open the test MariaDB (%s): %v", MariaDBEnv, err)
	}
	t.Cleanup(func() { root.Close() })
	name := fmt.Sprintf("lake_test_%016x", rand.Uint64())
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("create database on the test MariaDB (%s): %v", MariaDBEnv, err)
	}
	t.Cleanup(func() {
		if _, err := root.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}
