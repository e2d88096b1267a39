package main_test

import (
	"bytes"
	dbsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// lakeBin is the lake binary built once for these tests: they run it as a
// user and cron would, and check exit codes and output.
var lakeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lake-cli-test")
	if err != nil {
		panic(err)
	}
	lakeBin = filepath.Join(dir, "lake")
	out, err := exec.Command("go", "build", "-o", lakeBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build lake: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func lake(t *testing.T, dir string, args ...string) result {
	t.Helper()
	cmd := exec.Command(lakeBin, append([]string{"--log-format", "json"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LAKE_CONFIG=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

// editConfig rewrites dir/lake.yaml through edit.
func editConfig(t *testing.T, dir string, edit func(cfg []byte) []byte) {
	t.Helper()
	path := filepath.Join(dir, "lake.yaml")
	cfg, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, edit(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeShop writes a SQLite source with n orders into dir/shop.db using
// SQLite itself to generate rows, and a lake.yaml reading it, with extra
// lines appended to its tables: list.
func makeShop(t *testing.T, dir string, n int, extraTables ...string) {
	t.Helper()
	db, err := dbsql.Open("sqlite", filepath.Join(dir, "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, amount DECIMAL(12,2), note TEXT, created_at TIMESTAMP)`,
		fmt.Sprintf(`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < %d)
		 INSERT INTO orders SELECT i, CASE i %% 3 WHEN 0 THEN 'paid' WHEN 1 THEN 'new' ELSE 'shipped' END,
		   (i %% 1000) + 0.5, printf('order number %%d with some text to make rows wider', i),
		   datetime('2024-01-01', '+' || (i %% 1000) || ' hours') FROM seq`, n),
		`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)`,
		`INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cfg := `warehouse: ./warehouse
max_ds_age: 3650d # the tests replay fixed nights long past
sources:
  shop: {driver: sqlite, dsn: ./shop.db}
tables:
  - {name: orders, source: shop}
  - {name: customers, source: shop}
` + strings.Join(extraTables, "") + `clusters:
  - {name: local, engine: duckdb, path: ./lake.duckdb}
`
	if err := os.WriteFile(filepath.Join(dir, "lake.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBadConfigExitsTwoNamingFileLineAndKey(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "lake.yaml"), []byte("warehouse: ./w\nsources:\n  shop: {driver: sqlite, dsn: ./x.db}\ntables:\n  - name: orders\n    sorce: shop\n"), 0o644)
	for _, cmd := range [][]string{{"validate"}, {"run"}} {
		r := lake(t, dir, cmd...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr: %s", cmd, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "lake.yaml:6") || !strings.Contains(r.stderr, "sorce") {
			t.Errorf("%v: error does not name lake.yaml:6 and the key: %s", cmd, r.stderr)
		}
	}
	if r := lake(t, dir, "run", "--ds", "2026-02-30"); r.code != 2 {
		t.Errorf("bad --ds: exit %d, want 2", r.code)
	}
}

func TestRunLsShowQueryAsAUserWould(t *testing.T) {
	dir := t.TempDir()
	makeShop(t, dir, 500)
	if r := lake(t, dir, "run", "--ds", "2026-11-20"); r.code != 0 {
		t.Fatalf("run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := lake(t, dir, "run", "--ds", "2026-11-20")
	if r.code != 0 || !strings.Contains(r.stdout, "skipped") {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stdout)
	}

	r = lake(t, dir, "ls", "--json")
	var inv struct {
		Warehouse string `json:"warehouse"`
		Tables    []struct {
			Table      string `json:"table"`
			Latest     string `json:"latest_ds"`
			Partitions []struct {
				DS    string `json:"ds"`
				Rows  int64  `json:"rows"`
				Bytes int64  `json:"bytes"`
				Files int    `json:"files"`
			} `json:"partitions"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil {
		t.Fatalf("ls --json: %v\n%s", err, r.stdout)
	}
	if len(inv.Tables) != 2 || inv.Tables[1].Table != "dwh.orders" || inv.Tables[1].Latest != "2026-11-20" ||
		inv.Tables[1].Partitions[0].Rows != 500 || inv.Tables[1].Partitions[0].Files != 1 || inv.Tables[1].Partitions[0].Bytes <= 0 {
		t.Fatalf("ls --json: %+v", inv)
	}

	r = lake(t, dir, "show", "orders", "--json")
	var m struct {
		DS   string `json:"ds"`
		Rows struct{ Source, Written int64 }
		Cols []struct {
			Name       string `json:"name"`
			SourceType string `json:"source_type"`
		} `json:"columns"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &m); err != nil || m.DS != "2026-11-20" || m.Rows.Source != 500 || m.Rows.Written != 500 {
		t.Fatalf("show --json: %v %+v\n%s", err, m, r.stdout)
	}

	r = lake(t, dir, "query", "--csv", "SELECT status, count(*) AS n FROM orders_latest GROUP BY status ORDER BY status")
	if want := "status,n\nnew,167\npaid,166\nshipped,167\n"; r.stdout != want {
		t.Fatalf("query --csv = %q (stderr %s), want %q", r.stdout, r.stderr, want)
	}
	r = lake(t, dir, "query", "--json", "SELECT id, amount, ds FROM dwh.orders WHERE id = 7")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0]["ds"] != "2026-11-20" || rows[0]["amount"] != "7.50" {
		t.Fatalf("query --json: %v %v\n%s", err, rows, r.stdout)
	}
	if r := lake(t, dir, "query", "SELECT * FROM no_such_table"); r.code == 0 || !strings.Contains(r.stderr, "no_such_table") {
		t.Fatalf("bad query: exit %d, %s", r.code, r.stderr)
	}

	// The catalog is derived: delete it, sync, same answers.
	const q = "SELECT ds, count(*), sum(amount) FROM orders GROUP BY ds"
	before := lake(t, dir, "query", "--csv", q).stdout
	if err := os.Remove(filepath.Join(dir, "lake.duckdb")); err != nil {
		t.Fatal(err)
	}
	if r := lake(t, dir, "query", q); r.code == 0 || !strings.Contains(r.stderr, "lake sync") {
		t.Fatalf("query without a catalog: exit %d, %s", r.code, r.stderr)
	}
	if r := lake(t, dir, "sync"); r.code != 0 {
		t.Fatalf("sync: exit %d %s", r.code, r.stderr)
	}
	if after := lake(t, dir, "query", "--csv", q).stdout; after != before || before == "" {
		t.Fatalf("after sync %q, before %q", after, before)
	}
}

func TestInitWritesAConfigThatValidates(t *testing.T) {
	dir := t.TempDir()
	if r := lake(t, dir, "init"); r.code != 0 || !strings.Contains(r.stdout, "lake.yaml") {
		t.Fatalf("init: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r := lake(t, dir, "init"); r.code != 2 || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("second init must refuse to overwrite: exit %d %s", r.code, r.stderr)
	}
	r := lake(t, dir, "validate", "--offline")
	if r.code != 0 || !strings.Contains(r.stdout, "dwh.orders") {
		t.Fatalf("validate --offline: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// Online, the example's SQLite file does not exist yet: exit 1, named.
	r = lake(t, dir, "validate")
	if r.code != 1 || !strings.Contains(r.stdout, "shop.db") {
		t.Fatalf("validate with a missing source: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// validate looks at each table in a snapshot of its source: the good ones
// show their columns, one that a run would fail says why and makes the
// exit code 1, and nothing is written.
func TestValidateChecksEachTable(t *testing.T) {
	dir := t.TempDir()
	makeShop(t, dir, 10, "  - {name: broken, source: shop, query: SELECT no_such_column FROM orders}\n")
	r := lake(t, dir, "validate")
	if r.code != 1 || !strings.Contains(r.stderr, "1 table(s) would fail") {
		t.Fatalf("validate: exit %d, stderr %q; want 1 and the failed table counted\n%s", r.code, r.stderr, r.stdout)
	}
	if !strings.Contains(r.stdout, "source     shop (sqlite) ") || !strings.Contains(r.stdout, "shop.db: ok (") {
		t.Errorf("no line saying the source was reached:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "/warehouse: ok (") {
		t.Errorf("no line saying the warehouse can be written:\n%s", r.stdout)
	}
	lines := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			lines[f[0]] = line
		}
	}
	for table, want := range map[string]string{
		"dwh.orders":    "ok: 5 columns",
		"dwh.customers": "ok: 2 columns",
		"dwh.broken":    "fails: ",
	} {
		if !strings.Contains(lines[table], want) {
			t.Errorf("%s: line %q, want %q\n%s", table, lines[table], want, r.stdout)
		}
	}
	if !strings.Contains(lines["dwh.broken"], "no_such_column") {
		t.Errorf("dwh.broken: the line does not say why: %q", lines["dwh.broken"])
	}
	if _, err := os.Stat(filepath.Join(dir, "warehouse")); !os.IsNotExist(err) {
		t.Errorf("validate wrote a warehouse: %v", err)
	}
}

// A warehouse lake cannot write into fails validate before any night
// does: here its folder would have to be made inside a file.
func TestValidateFailsOnAWarehouseThatCannotBeWritten(t *testing.T) {
	dir := t.TempDir()
	makeShop(t, dir, 10)
	if err := os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	editConfig(t, dir, func(cfg []byte) []byte {
		cfg = bytes.Replace(cfg, []byte("warehouse: ./warehouse"), []byte("warehouse: ./afile/warehouse"), 1)
		return append(cfg, "  - {name: t1, engine: trino, url: \"http://127.0.0.1:1\"}\n"...)
	})
	r := lake(t, dir, "validate")
	if r.code != 1 || !strings.Contains(r.stderr, "the warehouse cannot be written") {
		t.Fatalf("validate: exit %d, stderr %q; want 1, saying the warehouse cannot be written\n%s", r.code, r.stderr, r.stdout)
	}
	if !strings.Contains(r.stdout, "/afile/warehouse: cannot be written: ") || !strings.Contains(r.stdout, "not a directory") {
		t.Errorf("the warehouse line does not say why:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "cluster    t1 (trino) http://127.0.0.1:1\n") {
		t.Errorf("the trino cluster's line does not show its URL:\n%s", r.stdout)
	}
}

func TestFailedTableExitsOneNamingIt(t *testing.T) {
	dir := t.TempDir()
	makeShop(t, dir, 10, "  - {name: broken, source: shop, query: SELECT no_such_column FROM orders}\n")
	r := lake(t, dir, "run", "--ds", "2026-11-20")
	if r.code != 1 || !strings.Contains(r.stderr, "dwh.broken") {
		t.Fatalf("exit %d, stderr does not name dwh.broken:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "dwh.orders") || !strings.Contains(r.stdout, "committed") {
		t.Fatalf("summary does not show the other tables committed:\n%s", r.stdout)
	}
}

// partitionState checks the write-once invariant of every ds folder: it
// holds a manifest and exactly the manifest's files. It returns the
// committed ds values.
func partitionState(t *testing.T, tableDir string) []string {
	t.Helper()
	des, err := os.ReadDir(tableDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var committed []string
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), "ds=") {
			continue
		}
		folder := filepath.Join(tableDir, de.Name())
		data, err := os.ReadFile(filepath.Join(folder, "_manifest.json"))
		if err != nil {
			t.Fatalf("visible partition without manifest: %s: %v", folder, err)
		}
		var m struct{ Files []struct{ Name string } }
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("damaged manifest in %s: %v", folder, err)
		}
		want := []string{"_manifest.json"}
		for _, f := range m.Files {
			want = append(want, f.Name)
		}
		sort.Strings(want)
		files, _ := os.ReadDir(folder)
		var got []string
		for _, f := range files {
			got = append(got, f.Name())
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("partition %s holds %v, manifest lists %v", folder, got, want)
		}
		committed = append(committed, strings.TrimPrefix(de.Name(), "ds="))
	}
	return committed
}

func TestSIGKILLNeverLeavesAPartialPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("kills lake repeatedly; skipped with -short")
	}
	dir := t.TempDir()
	makeShop(t, dir, 200_000)
	// Small files, so that a run spends its time among several files.
	editConfig(t, dir, func(cfg []byte) []byte {
		return append(cfg, "parquet: {row_group_size: 256KiB, file_size: 1MiB}\n"...)
	})

	start := time.Now()
	if r := lake(t, dir, "run", "--ds", "2025-01-01"); r.code != 0 {
		t.Fatalf("calibration run: %d %s", r.code, r.stderr)
	}
	full := time.Since(start)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("a full run takes %v; seed %d", full, seed)
	tableDir := filepath.Join(dir, "warehouse", "dwh", "orders")

	const trials = 15
	killedBeforeCommit := 0
	for i := 0; i < trials; i++ {
		ds := time.Date(2025, 2, 1+i, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		cmd := exec.Command(lakeBin, "--log-format", "json", "run", "--ds", ds)
		cmd.Dir = dir
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(full))))
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()

		committed := partitionState(t, tableDir)
		if !contains(committed, ds) {
			killedBeforeCommit++
		}
		r := lake(t, dir, "run", "--ds", ds)
		if r.code != 0 {
			t.Fatalf("trial %d: run after kill: exit %d\n%s", i, r.code, r.stderr)
		}
		if committed := partitionState(t, tableDir); !contains(committed, ds) {
			t.Fatalf("trial %d: ds %s not committed after the rerun", i, ds)
		}
		if left, _ := os.ReadDir(filepath.Join(tableDir, ".attempts")); len(left) != 0 {
			var names []string
			for _, l := range left {
				names = append(names, l.Name())
			}
			t.Fatalf("trial %d: attempts left after the rerun: %v", i, names)
		}
	}
	t.Logf("%d of %d kills landed before the commit", killedBeforeCommit, trials)
	if killedBeforeCommit == 0 {
		t.Fatalf("no kill landed before a commit: the test did not test anything")
	}
	// Every night's rows are the source's.
	r := lake(t, dir, "query", "--csv", "SELECT count(DISTINCT ds), min(n), max(n) FROM (SELECT ds, count(*) AS n FROM orders GROUP BY ds)")
	if want := fmt.Sprintf("count(DISTINCT ds),min(n),max(n)\n%d,200000,200000\n", trials+1); r.stdout != want {
		t.Fatalf("rows per night: %q, want %q (%s)", r.stdout, want, r.stderr)
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestConcurrentRunsOnOneNightCommitOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many lake processes; skipped with -short")
	}
	dir := t.TempDir()
	makeShop(t, dir, 20_000)
	for i := 0; i < 10; i++ {
		ds := time.Date(2025, 3, 1+i, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		var cmds [2]*exec.Cmd
		var outs [2]bytes.Buffer
		for k := range cmds {
			cmds[k] = exec.Command(lakeBin, "--log-format", "json", "run", "--ds", ds, "--json")
			cmds[k].Dir = dir
			cmds[k].Stdout = &outs[k]
			if err := cmds[k].Start(); err != nil {
				t.Fatal(err)
			}
		}
		committed := 0
		for k, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("night %s: run %d: %v\n%s", ds, k, err, outs[k].String())
			}
			var rep struct {
				Tables []struct{ Table, Status, Message string }
			}
			if err := json.Unmarshal(outs[k].Bytes(), &rep); err != nil {
				t.Fatalf("run report: %v\n%s", err, outs[k].String())
			}
			for _, tr := range rep.Tables {
				switch {
				case tr.Table == "dwh.orders" && tr.Status == "committed":
					committed++
				case tr.Status == "skipped" && !strings.Contains(tr.Message, "committed by"):
					t.Fatalf("skipped without saying why: %+v", tr)
				}
			}
		}
		if committed != 1 {
			t.Fatalf("night %s: orders committed by %d runs, want exactly 1", ds, committed)
		}
		partitionState(t, filepath.Join(dir, "warehouse", "dwh", "orders"))
	}
}
