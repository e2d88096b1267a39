package main_test

import (
	"bytes"
	"context"
	dbsql "database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/localstack/testenv"
)

// s3Shop is makeShop with the warehouse on the test S3 server, in a prefix
// of its own. It returns a store on that prefix, to inspect it.
func s3Shop(t *testing.T, dir string, n int, extra string, extraTables ...string) *warehouse.S3 {
	t.Helper()
	srv := testenv.S3(t)
	makeShop(t, dir, n, extraTables...)
	s3cfg := fmt.Sprintf("warehouse: %s\ns3: {endpoint: %s, path_style: true, part_size: 5MiB, upload_concurrency: 2}\n%s", srv.URL(), srv.Endpoint, extra)
	editConfig(t, dir, func(cfg []byte) []byte {
		return bytes.Replace(cfg, []byte("warehouse: ./warehouse\n"), []byte(s3cfg), 1)
	})
	store, err := warehouse.NewS3(context.Background(), warehouse.S3Options{Bucket: srv.Bucket, Prefix: srv.Prefix, Endpoint: srv.Endpoint, PathStyle: true, Region: srv.Region})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Delete(context.Background(), "dwh/") })
	return store
}

// s3PartitionState checks every partition folder of a table on S3: a
// folder with a manifest holds exactly the manifest's files. It returns the
// committed ds values and the keys of folders without a manifest.
func s3PartitionState(t *testing.T, store *warehouse.S3, table string) (committed, uncommitted []string) {
	t.Helper()
	ctx := context.Background()
	prefix := "dwh/" + table + "/"
	entries, err := store.List(ctx, prefix+"ds=")
	if err != nil {
		t.Fatal(err)
	}
	folders := map[string][]string{}
	for _, e := range entries {
		folder, name, _ := strings.Cut(strings.TrimPrefix(e.Key, prefix), "/")
		folders[folder] = append(folders[folder], name)
	}
	for folder, names := range folders {
		if !contains(names, "_manifest.json") {
			uncommitted = append(uncommitted, folder)
			continue
		}
		o, err := store.Open(ctx, prefix+folder+"/_manifest.json")
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(o)
		var m struct{ Files []struct{ Name string } }
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		want := []string{"_manifest.json"}
		for _, f := range m.Files {
			want = append(want, f.Name)
		}
		sort.Strings(want)
		sort.Strings(names)
		if fmt.Sprint(want) != fmt.Sprint(names) {
			t.Fatalf("%s%s holds %v, its manifest lists %v", prefix, folder, names, want)
		}
		committed = append(committed, strings.TrimPrefix(folder, "ds="))
	}
	sort.Strings(committed)
	return committed, uncommitted
}

// s3Leftovers lists what a finished run must not leave behind: attempts,
// claims, incomplete multipart uploads.
func s3Leftovers(t *testing.T, store *warehouse.S3) []string {
	t.Helper()
	ctx := context.Background()
	var left []string
	for _, hidden := range []string{"dwh/orders/.attempts/", "dwh/orders/.claims/", "dwh/customers/.attempts/", "dwh/customers/.claims/"} {
		es, err := store.List(ctx, hidden)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			left = append(left, e.Key)
		}
	}
	ups, err := store.Uploads(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups {
		left = append(left, "upload:"+u.Key)
	}
	return left
}

func TestS3RunThenQueryThroughHTTPFS(t *testing.T) {
	dir := t.TempDir()
	store := s3Shop(t, dir, 20_000, "")
	if r := lake(t, dir, "run", "--ds", "2025-01-01"); r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	committed, _ := s3PartitionState(t, store, "orders")
	if fmt.Sprint(committed) != "[2025-01-01]" {
		t.Fatalf("committed %v", committed)
	}
	// The source's own numbers, computed by SQLite.
	db, err := dbsql.Open("sqlite", filepath.Join(dir, "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	var want string
	if err := db.QueryRow(`SELECT count(*) || ',' || printf('%.2f', sum(amount)) || ',' || count(DISTINCT status) FROM orders`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	db.Close()
	r := lake(t, dir, "query", "--csv", "SELECT count(*) AS n, sum(amount) AS total, count(DISTINCT status) AS statuses FROM orders_latest")
	if got := strings.TrimPrefix(r.stdout, "n,total,statuses\n"); got != want+"\n" {
		t.Fatalf("lake query: %q (%s), want %q", r.stdout, r.stderr, want)
	}
	if strings.Contains(r.stdout+r.stderr, os.Getenv("AWS_SECRET_ACCESS_KEY")+"'") {
		t.Fatal("the secret was printed")
	}

	t.Run("rerun of a committed ds is a no-op", func(t *testing.T) {
		before, _ := store.List(context.Background(), "dwh/orders/ds=2025-01-01/")
		r := lake(t, dir, "run", "--ds", "2025-01-01", "--json")
		if r.code != 0 || !strings.Contains(r.stdout, "already committed") {
			t.Fatalf("rerun: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		after, _ := store.List(context.Background(), "dwh/orders/ds=2025-01-01/")
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Fatalf("rerun changed the partition:\n%v\n%v", before, after)
		}
	})
	if left := s3Leftovers(t, store); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

func TestS3ConcurrentRunsOnOneNightCommitOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many lake processes; skipped with -short")
	}
	dir := t.TempDir()
	store := s3Shop(t, dir, 5_000, "")
	const trials = 20
	for i := 0; i < trials; i++ {
		ds := time.Date(2025, 3, 1+i, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		var cmds [2]*exec.Cmd
		var outs, errs [2]bytes.Buffer
		for k := range cmds {
			cmds[k] = exec.Command(lakeBin, "--log-format", "json", "run", "--ds", ds, "--tables", "orders", "--json")
			cmds[k].Dir = dir
			cmds[k].Env = append(os.Environ(), "LAKE_CONFIG=")
			cmds[k].Stdout, cmds[k].Stderr = &outs[k], &errs[k]
			if err := cmds[k].Start(); err != nil {
				t.Fatal(err)
			}
		}
		committed := 0
		for k, cmd := range cmds {
			if err := cmd.Wait(); err != nil {
				t.Fatalf("night %s: run %d: %v\n%s\n%s", ds, k, err, outs[k].String(), errs[k].String())
			}
			var rep struct {
				Tables []struct{ Table, Status, Message string }
			}
			if err := json.Unmarshal(outs[k].Bytes(), &rep); err != nil {
				t.Fatalf("run report: %v\n%s", err, outs[k].String())
			}
			for _, tr := range rep.Tables {
				switch {
				case tr.Status == "committed":
					committed++
				case tr.Status == "skipped" && strings.Contains(tr.Message, "committed by"):
				default:
					t.Fatalf("night %s: run %d: %+v", ds, k, tr)
				}
			}
		}
		if committed != 1 {
			t.Fatalf("night %s: committed by %d runs, want exactly 1", ds, committed)
		}
		got, uncommitted := s3PartitionState(t, store, "orders")
		if !contains(got, ds) || len(uncommitted) > 0 {
			t.Fatalf("night %s: committed %v, folders without manifest %v", ds, got, uncommitted)
		}
		if left := s3Leftovers(t, store); len(left) > 0 {
			t.Fatalf("night %s: left behind: %v", ds, left)
		}
	}
}

func TestS3SIGKILLNeverLeavesAPartialPartition(t *testing.T) {
	if testing.Short() {
		t.Skip("kills lake repeatedly; skipped with -short")
	}
	dir := t.TempDir()
	// Random text compresses badly: files of several multipart parts.
	store := s3Shop(t, dir, 1_000, "parquet: {row_group_size: 1MiB, file_size: 12MiB}\n",
		"  - {name: blobs, source: shop}\n")
	db, err := dbsql.Open("sqlite", filepath.Join(dir, "shop.db"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE blobs AS WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM seq WHERE i < 60000)
		SELECT i AS id, hex(randomblob(160)) AS payload FROM seq`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if r := lake(t, dir, "run", "--ds", "2025-01-01"); r.code != 0 {
		t.Fatalf("calibration run: %d %s", r.code, r.stderr)
	}
	full := time.Since(start)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("a full run takes %v; seed %d", full, seed)

	const trials = 20
	killedBeforeCommit := 0
	for i := 0; i < trials; i++ {
		ds := time.Date(2025, 2, 1+i, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		cmd := exec.Command(lakeBin, "--log-format", "json", "run", "--ds", ds, "--tables", "blobs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LAKE_CONFIG=")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.Int64N(int64(full))))
		syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()

		// Whatever the kill interrupted, a folder with a manifest holds
		// exactly its files (s3PartitionState fails the test otherwise).
		committed, _ := s3PartitionState(t, store, "blobs")
		if !contains(committed, ds) {
			killedBeforeCommit++
		}
		r := lake(t, dir, "run", "--ds", ds, "--tables", "blobs")
		if r.code != 0 {
			t.Fatalf("trial %d: run after kill: exit %d\n%s", i, r.code, r.stderr)
		}
		committed, uncommitted := s3PartitionState(t, store, "blobs")
		if !contains(committed, ds) || len(uncommitted) > 0 {
			t.Fatalf("trial %d: committed %v; folders without manifest %v", i, committed, uncommitted)
		}
		var left []string
		for _, hidden := range []string{"dwh/blobs/.attempts/", "dwh/blobs/.claims/"} {
			es, _ := store.List(context.Background(), hidden)
			for _, e := range es {
				left = append(left, e.Key)
			}
		}
		ups, _ := store.Uploads(context.Background(), "")
		for _, u := range ups {
			left = append(left, "upload:"+u.Key)
		}
		if len(left) > 0 {
			t.Fatalf("trial %d: left behind after the rerun: %v", i, left)
		}
	}
	t.Logf("%d of %d kills landed before the commit", killedBeforeCommit, trials)
	if killedBeforeCommit == 0 {
		t.Fatal("no kill landed before a commit: the test did not test anything")
	}
}

func TestS3RunSucceedsThroughInjectedFaults(t *testing.T) {
	dir := t.TempDir()
	store := s3Shop(t, dir, 5_000, "")
	srv := testenv.S3(t)
	p := testenv.NewFaultProxy(t, srv.Endpoint, func(n int64) testenv.Fault {
		switch {
		case n%9 == 0:
			return testenv.SlowDown
		case n%13 == 0:
			return testenv.Reset
		case n%17 == 0:
			return testenv.ServerErr
		case n%19 == 0:
			return testenv.Slow
		}
		return testenv.Pass
	})
	editConfig(t, dir, func(cfg []byte) []byte {
		return bytes.Replace(cfg, []byte("endpoint: "+srv.Endpoint), []byte("endpoint: "+p.URL), 1)
	})
	if r := lake(t, dir, "run", "--ds", "2025-01-01"); r.code != 0 {
		t.Fatalf("run through faults: exit %d\n%s", r.code, r.stderr)
	}
	if p.Faults.Load() < 5 {
		t.Fatalf("only %d of %d requests were faulty: the test tested little", p.Faults.Load(), p.Requests.Load())
	}
	t.Logf("%d of %d requests got a fault", p.Faults.Load(), p.Requests.Load())
	committed, _ := s3PartitionState(t, store, "orders")
	if fmt.Sprint(committed) != "[2025-01-01]" {
		t.Fatalf("committed %v", committed)
	}
}

// A night whose S3 requests keep failing gives up after s3.max_attempts
// tries of one request, within seconds, saying which S3 and which object,
// and publishes nothing partial.
func TestS3RunGivesUpWhenFaultsDoNotStop(t *testing.T) {
	dir := t.TempDir()
	store := s3Shop(t, dir, 20_000, "")
	srv := testenv.S3(t)
	// From request number failFrom on (0: never), every request fails,
	// each way the proxy can fail one.
	var failFrom atomic.Int64
	p := testenv.NewFaultProxy(t, srv.Endpoint, func(n int64) testenv.Fault {
		if f := failFrom.Load(); f == 0 || n < f {
			return testenv.Pass
		}
		return []testenv.Fault{testenv.SlowDown, testenv.ServerErr, testenv.Reset}[n%3]
	})
	editConfig(t, dir, func(cfg []byte) []byte {
		cfg = bytes.Replace(cfg, []byte("endpoint: "+srv.Endpoint), []byte("endpoint: "+p.URL), 1)
		return bytes.Replace(cfg, []byte("upload_concurrency: 2}"), []byte("upload_concurrency: 2, max_attempts: 2}"), 1)
	})

	// A healthy night through the proxy counts the requests of a night.
	if r := lake(t, dir, "run", "--ds", "2025-01-01"); r.code != 0 {
		t.Fatalf("healthy night: exit %d\n%s", r.code, r.stderr)
	}
	night := p.Requests.Load()
	t.Logf("a night makes %d requests", night)

	cases := []struct {
		name, ds string
		failFrom int64 // requests into the night
	}{
		{"every request fails", "2025-01-02", 1},
		{"faults start mid-night and never stop", "2025-01-03", night / 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			failFrom.Store(p.Requests.Load() + tc.failFrom)
			start := time.Now()
			r := lake(t, dir, "run", "--ds", tc.ds, "--json")
			took := time.Since(start)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			// The default budget (10 tries, up to 20s apart) takes minutes.
			if took > 30*time.Second {
				t.Errorf("took %v to give up with max_attempts: 2", took)
			}
			var rep struct {
				Tables []struct{ Table, Status, Message string }
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("run report: %v\n%s", err, r.stdout)
			}
			failed := 0
			for _, tr := range rep.Tables {
				table := strings.TrimPrefix(tr.Table, "dwh.")
				committed, _ := s3PartitionState(t, store, table) // fails on a partial committed partition
				// A fault after the commit point (removing the attempt)
				// leaves a complete committed partition: the report must
				// say committed, and a table reported committed must be.
				if contains(committed, tc.ds) {
					if tr.Status != "committed" {
						t.Errorf("%s: ds=%s is committed but reported %s: %s", tr.Table, tc.ds, tr.Status, tr.Message)
					}
					continue
				}
				if tr.Status == "committed" {
					t.Errorf("%s reported committed, but ds=%s is not", tr.Table, tc.ds)
					continue
				}
				failed++
				for _, want := range []string{store.String() + "/dwh/" + table + "/", "S3 at " + p.URL, "after 2 attempts, giving up"} {
					if !strings.Contains(tr.Message, want) {
						t.Errorf("%s: message does not say %q: %s", tr.Table, want, tr.Message)
					}
				}
			}
			if failed == 0 {
				t.Fatalf("no table failed: the faults came too late\n%s", r.stdout)
			}
			t.Logf("%d tables failed in %v", failed, took)
		})
	}
}
