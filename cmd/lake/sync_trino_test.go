package main_test

import (
	"context"
	dbsql "database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/sql/trino"
)

// A Trino cluster added after a night, as a user brings it up: sync
// --dry-run shows what it would do and does nothing, sync --cluster does
// it on that cluster only, and a dry run afterwards has nothing left for it.
func TestSyncDryRunThenSyncOneTrinoCluster(t *testing.T) {
	url1, url2 := testenv.Trino(t)
	dir := t.TempDir()
	// The clusters' metastores outlive the test: a schema of its own.
	schema := fmt.Sprintf("c_%012x", rand.Uint64()>>16)
	store := s3Shop(t, dir, 500, "default_schema: "+schema+"\n")
	t.Cleanup(func() { store.Delete(context.Background(), schema+"/") })
	if r := lake(t, dir, "run", "--ds", "2025-01-01"); r.code != 0 {
		t.Fatalf("night: exit %d\n%s", r.code, r.stderr)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lake.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "  - {name: t1, engine: trino, url: %q}\n  - {name: t2, engine: trino, url: %q}\n", url1, url2)
	f.Close()
	t1, t2 := testenv.TrinoClient(t, url1, "hive"), testenv.TrinoClient(t, url2, "hive")
	// What Trino says the catalog has of schema: 0 or 1 schema, and its
	// tables and views.
	catalogHas := func(t *testing.T, c *trino.Client) string {
		t.Helper()
		return testenv.TrinoRows(t, c, `SELECT (SELECT count(*) FROM hive.information_schema.schemata WHERE schema_name = '`+schema+`'),
			(SELECT count(*) FROM hive.information_schema.tables WHERE table_schema = '`+schema+`')`)
	}
	// Two tables of one night: the schema; per table its CREATE TABLE,
	// one partition, its view.
	createStatements := []string{
		`CREATE SCHEMA IF NOT EXISTS "hive"."` + schema + `" WITH (location = '` + store.String() + `/` + schema + `/')`,
		`CREATE TABLE IF NOT EXISTS "hive"."` + schema + `"."orders" (`,
		`CREATE TABLE IF NOT EXISTS "hive"."` + schema + `"."customers" (`,
		`CALL "hive".system.register_partition(schema_name => '` + schema + `', table_name => 'orders', partition_columns => ARRAY['ds'], partition_values => ARRAY['2025-01-01'], location => '` + store.String() + `/` + schema + `/orders/ds=2025-01-01')`,
		`CALL "hive".system.register_partition(schema_name => '` + schema + `', table_name => 'customers', partition_columns => ARRAY['ds'], partition_values => ARRAY['2025-01-01'], location => '` + store.String() + `/` + schema + `/customers/ds=2025-01-01')`,
		`CREATE OR REPLACE VIEW "hive"."` + schema + `"."orders_latest" AS SELECT `,
		`CREATE OR REPLACE VIEW "hive"."` + schema + `"."customers_latest" AS SELECT `,
	}

	t.Run("sync --dry-run --cluster prints the statements for an empty catalog and runs none", func(t *testing.T) {
		r := lake(t, dir, "sync", "--dry-run", "--cluster", "t1")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		plans := parsePlans(t, r.stdout)
		if len(plans) != 1 || plans["t1"] == nil {
			t.Fatalf("planned for %v, want t1 only:\n%s", keys(plans), r.stdout)
		}
		checkPlan(t, "t1", plans["t1"], createStatements)
		for name, c := range map[string]*trino.Client{"t1": t1, "t2": t2} {
			if got := catalogHas(t, c); got != "0|0" {
				t.Errorf("%s after a dry run: %s schemas|tables, want none", name, got)
			}
		}
	})

	t.Run("sync --cluster makes the night queryable there and only there", func(t *testing.T) {
		r := lake(t, dir, "sync", "--cluster", "t1")
		if r.code != 0 || !regexp.MustCompile(`(?m)^cluster t1\s+ok\b`).MatchString(r.stdout) || strings.Contains(r.stdout, "t2") {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		db, err := dbsql.Open("sqlite", filepath.Join(dir, "shop.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var want string
		if err := db.QueryRow(`SELECT count(*) || '|' || printf('%.2f', sum(amount)) FROM orders`).Scan(&want); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`SELECT count(*), sum(amount) FROM ` + schema + `.orders_latest`,
			`SELECT count(*), sum(amount) FROM ` + schema + `.orders WHERE ds = '2025-01-01'`,
		} {
			if got := testenv.TrinoRows(t, t1, q); got != want {
				t.Errorf("t1: %s = %s, want %s", q, got, want)
			}
		}
		if got := testenv.TrinoRows(t, t1, `SELECT name FROM `+schema+`.customers_latest ORDER BY id`); got != "Ada\nGrace" {
			t.Errorf("t1 customers_latest: %q", got)
		}
		if got := catalogHas(t, t2); got != "0|0" {
			t.Errorf("t2 after sync --cluster t1: %s schemas|tables, want none", got)
		}
	})

	t.Run("sync --dry-run afterwards has nothing left for the synced cluster", func(t *testing.T) {
		r := lake(t, dir, "sync", "--dry-run")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		plans := parsePlans(t, r.stdout)
		if len(plans) != 3 {
			t.Fatalf("planned for %v, want local, t1, t2:\n%s", keys(plans), r.stdout)
		}
		checkPlan(t, "t1", plans["t1"], nil)
		checkPlan(t, "t2", plans["t2"], createStatements)
		if len(plans["local"].statements) == 0 {
			t.Errorf("local: no statements; a DuckDB catalog is rebuilt whole")
		}
	})

	t.Run("run --dry-run prints tonight's tables and the clusters' statements, and runs nothing", func(t *testing.T) {
		r := lake(t, dir, "run", "--dry-run", "--ds", "2025-01-02")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		for _, table := range []string{"orders", "customers"} {
			if want := "-- would import " + schema + "." + table + " ds=2025-01-02 from source shop"; !strings.Contains(r.stdout, want) {
				t.Errorf("does not say %q:\n%s", want, r.stdout)
			}
		}
		plans := parsePlans(t, r.stdout)
		checkPlan(t, "t1", plans["t1"], nil)
		checkPlan(t, "t2", plans["t2"], createStatements)
		if got, err := store.List(context.Background(), schema+"/orders/ds=2025-01-02/"); err != nil || len(got) != 0 {
			t.Errorf("a dry run wrote %v (%v)", got, err)
		}
		if got := catalogHas(t, t2); got != "0|0" {
			t.Errorf("t2 after run --dry-run: %s schemas|tables, want none", got)
		}
	})
}

// plan is one cluster's part of a dry run's output.
type plan struct {
	count      int    // as its header says
	statements string // the lines under its header
}

// parsePlans reads a dry run's output: per cluster, a "-- cluster NAME: N
// statements" header, then its statements, each ending in ";".
func parsePlans(t *testing.T, out string) map[string]*plan {
	t.Helper()
	header := regexp.MustCompile(`^-- cluster (\S+): (\d+) statements$`)
	plans := map[string]*plan{}
	var cur *plan
	for _, line := range strings.Split(out, "\n") {
		if m := header.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[2])
			cur = &plan{count: n}
			plans[m[1]] = cur
			continue
		}
		if cur != nil && line != "" && !strings.HasPrefix(line, "--") {
			cur.statements += line + "\n"
		}
	}
	return plans
}

// checkPlan checks that p has exactly one statement starting with each of
// want, and no other.
func checkPlan(t *testing.T, name string, p *plan, want []string) {
	t.Helper()
	if p == nil {
		t.Errorf("%s: no plan", name)
		return
	}
	stmts := strings.Split(strings.TrimSuffix(p.statements, ";\n"), ";\n")
	if p.statements == "" {
		stmts = nil
	}
	if p.count != len(want) || len(stmts) != len(want) {
		t.Errorf("%s: %d statements (header says %d), want %d:\n%s", name, len(stmts), p.count, len(want), p.statements)
		return
	}
	for _, w := range want {
		n := 0
		for _, s := range stmts {
			if strings.HasPrefix(s, w) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d statements start with %s\n%s", name, n, w, p.statements)
		}
	}
}

func keys(m map[string]*plan) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
