package partitions

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
)

func newStore(t *testing.T) *warehouse.Local {
	t.Helper()
	s, err := warehouse.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var orders = Key{Schema: "dwh", Table: "orders", DS: "2026-11-22"}

// writeAttempt runs one attempt with the given file contents and returns
// its manifest, uncommitted.
func writeAttempt(t *testing.T, store warehouse.Store, k Key, runID string, contents ...string) (*Attempt, *Manifest) {
	t.Helper()
	ctx := context.Background()
	a, err := Begin(ctx, store, k, runID)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Schema: k.Schema, Table: k.Table, DS: k.DS, Mode: "full", RunID: runID}
	for i, c := range contents {
		name, w, err := a.Create(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		m.Files = append(m.Files, File{Name: name, Rows: 1, Bytes: int64(len(c))})
		m.Rows.Source++
		m.Rows.Written++
	}
	return a, m
}

// folderFiles lists the names in a partition folder on disk, including
// hidden ones, as Trino would see them.
func folderFiles(t *testing.T, store *warehouse.Local, k Key) []string {
	t.Helper()
	des, err := os.ReadDir(store.Location(k.Prefix()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	sort.Strings(names)
	return names
}

func TestCommitPublishesExactlyTheManifestFiles(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	a, m := writeAttempt(t, store, orders, "r1", "aaa", "bbbb")
	if _, err := ReadManifest(ctx, store, orders); !errors.Is(err, ErrNotCommitted) {
		t.Fatalf("before commit: got %v, want ErrNotCommitted", err)
	}
	if parts, _ := List(ctx, store, ""); len(parts) != 0 {
		t.Fatalf("an attempt was listed as a partition: %v", parts)
	}
	if err := a.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	want := []string{"_manifest.json", "part-r1-00000.parquet", "part-r1-00001.parquet"}
	if got := folderFiles(t, store, orders); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("partition folder holds %v, want %v", got, want)
	}
	got, err := ReadManifest(ctx, store, orders)
	if err != nil {
		t.Fatal(err)
	}
	if got.RunID != "r1" || len(got.Files) != 2 || got.Bytes() != 7 || got.Format != ManifestFormat {
		t.Fatalf("manifest read back: %+v", got)
	}
	if _, err := os.Stat(store.Location("dwh/orders/.attempts/r1-ds=2026-11-22.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("owner record left behind after commit: %v", err)
	}
}

func TestRerunOfCommittedDSLeavesItUntouched(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	a, m := writeAttempt(t, store, orders, "r1", "first")
	if err := a.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	b, m2 := writeAttempt(t, store, orders, "r2", "second")
	if err := b.Commit(ctx, m2); !errors.Is(err, ErrCommittedByOther) {
		t.Fatalf("second commit: got %v, want ErrCommittedByOther", err)
	}
	got, err := ReadManifest(ctx, store, orders)
	if err != nil || got.RunID != "r1" {
		t.Fatalf("manifest after losing commit: %+v, %v", got, err)
	}
	want := []string{"_manifest.json", "part-r1-00000.parquet"}
	if got := folderFiles(t, store, orders); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("partition folder holds %v, want %v", got, want)
	}
	if left, _ := store.List(ctx, "dwh/orders/.attempts/"); len(left) != 0 {
		t.Fatalf("losing attempt left files: %v", left)
	}
}

func TestConcurrentAttemptsExactlyOneCommits(t *testing.T) {
	ctx := context.Background()
	for trial := 0; trial < 20; trial++ {
		store := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			a, m := writeAttempt(t, store, orders, fmt.Sprintf("run%d", i), "x", "yy")
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = a.Commit(ctx, m)
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("trial %d: runs %d and %d both committed", trial, winner, i)
				}
				winner = i
			case !errors.Is(err, ErrCommittedByOther):
				t.Fatalf("trial %d: run %d: unexpected error %v", trial, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("trial %d: no run committed", trial)
		}
		want := []string{"_manifest.json", fmt.Sprintf("part-run%d-00000.parquet", winner), fmt.Sprintf("part-run%d-00001.parquet", winner)}
		if got := folderFiles(t, store, orders); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("trial %d: folder holds %v, want %v", trial, got, want)
		}
	}
}

func TestCommitRefusesWhatItCannotTrust(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(t *testing.T, store *warehouse.Local, a *Attempt, m *Manifest)
	}{
		{"row counts differ", func(t *testing.T, _ *warehouse.Local, _ *Attempt, m *Manifest) { m.Rows.Source = 5 }},
		{"file missing", func(t *testing.T, _ *warehouse.Local, _ *Attempt, m *Manifest) {
			m.Files = append(m.Files, File{Name: "part-r1-00009.parquet", Bytes: 1})
		}},
		{"file size differs", func(t *testing.T, _ *warehouse.Local, _ *Attempt, m *Manifest) { m.Files[0].Bytes++ }},
		{"stray file in attempt", func(t *testing.T, _ *warehouse.Local, a *Attempt, _ *Manifest) {
			_, w, err := a.Create(ctx, 7)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("stray"))
			w.Commit()
		}},
		{"no files", func(t *testing.T, _ *warehouse.Local, _ *Attempt, m *Manifest) { m.Files = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := newStore(t)
			a, m := writeAttempt(t, store, orders, "r1", "abc")
			tc.change(t, store, a, m)
			if err := a.Commit(ctx, m); err == nil {
				t.Fatal("commit succeeded")
			}
			if _, err := ReadManifest(ctx, store, orders); !errors.Is(err, ErrNotCommitted) {
				t.Fatalf("partition visible after refused commit: %v", err)
			}
		})
	}
}

func TestSweepRemovesOnlyDeadAttempts(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	committed, m := writeAttempt(t, store, orders, "done", "c")
	if err := committed.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	writeAttempt(t, store, Key{"dwh", "orders", "2026-11-23"}, "live", "l") // owned by this process
	dead := Key{"dwh", "orders", "2026-11-24"}
	writeAttempt(t, store, dead, "dead", "d")
	// Make the dead attempt's owner a process that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if err := putJSON(ctx, store, "dwh/orders/.attempts/dead-ds=2026-11-24.json",
		Owner{RunID: "dead", Host: host, PID: cmd.Process.Pid, Started: time.Now()}); err != nil {
		t.Fatal(err)
	}
	removed, err := Sweep(ctx, store, "dwh", "orders", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(removed) != "[dead-ds=2026-11-24]" {
		t.Fatalf("swept %v, want only the dead attempt", removed)
	}
	if _, err := os.Stat(filepath.Join(store.Location("dwh/orders/.attempts"), "live-ds=2026-11-23", "part-live-00000.parquet")); err != nil {
		t.Fatalf("live attempt was touched: %v", err)
	}
	if _, err := ReadManifest(ctx, store, orders); err != nil {
		t.Fatalf("committed partition was touched: %v", err)
	}
	// Much later, even a live-looking attempt is stale.
	removed, err = Sweep(ctx, store, "dwh", "orders", time.Now().Add(StaleAfter+time.Hour))
	if err != nil || fmt.Sprint(removed) != "[live-ds=2026-11-23]" {
		t.Fatalf("stale sweep removed %v (%v)", removed, err)
	}
}

func TestListFindsCommittedPartitionsInOrder(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	for _, k := range []Key{{"dwh", "orders", "2026-11-23"}, {"dwh", "customers", "2026-11-22"}, {"dwh", "orders", "2026-11-22"}} {
		a, m := writeAttempt(t, store, k, "r", "z")
		if err := a.Commit(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	writeAttempt(t, store, Key{"dwh", "orders", "2026-11-24"}, "inflight", "z")
	parts, err := List(ctx, store, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range parts {
		got = append(got, p.Key.String())
	}
	want := "[dwh.customers ds=2026-11-22 dwh.orders ds=2026-11-22 dwh.orders ds=2026-11-23]"
	if fmt.Sprint(got) != want {
		t.Fatalf("List = %v, want %v", got, want)
	}
	table, err := List(ctx, store, Key{Schema: "dwh", Table: "orders"}.TablePrefix())
	if err != nil || len(table) != 2 {
		t.Fatalf("List of dwh/orders/ = %v, %v", table, err)
	}
}

func TestLatestIsTheNewestCommittedPartitionBeforeADS(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	for _, c := range []struct{ ds, mode string }{{"2026-11-20", ModeTail}, {"2026-11-21", ModeRecent}, {"2026-11-23", ModeRecent}} {
		a, m := writeAttempt(t, store, Key{"dwh", "orders", c.ds}, "r", "z")
		m.Mode = c.mode
		if err := a.Commit(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	a, m := writeAttempt(t, store, Key{"dwh", "customers", "2026-11-22"}, "r", "z")
	if err := a.Commit(ctx, m); err != nil {
		t.Fatal(err)
	}
	writeAttempt(t, store, Key{"dwh", "orders", "2026-11-22"}, "inflight", "z")

	for _, c := range []struct {
		before, latest, tail string
	}{
		{"2026-11-24", "2026-11-23", "2026-11-20"},
		{"2026-11-23", "2026-11-21", "2026-11-20"}, // the attempt of 11-22 is not committed
		{"2026-11-21", "2026-11-20", "2026-11-20"},
		{"2026-11-20", "", ""},
		{"", "2026-11-23", "2026-11-20"}, // no bound: the newest of all
	} {
		var got, gotTail string
		p, err := Latest(ctx, store, "dwh", "orders", c.before)
		if err != nil {
			t.Fatal(err)
		}
		if p != nil {
			got = p.Key.DS
		}
		if p, err = LatestTail(ctx, store, "dwh", "orders", c.before); err != nil {
			t.Fatal(err)
		}
		if p != nil {
			gotTail = p.Key.DS
		}
		if got != c.latest || gotTail != c.tail {
			t.Errorf("before %s: Latest %q, LatestTail %q; want %q, %q", c.before, got, gotTail, c.latest, c.tail)
		}
	}
}
