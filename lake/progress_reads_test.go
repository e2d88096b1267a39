package lake

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/partitions"
)

// previousRead takes each part's rows from the newest earlier partition
// that read that part: the whole table, the recent rows of any incremental
// partition, the tail of the newest tail import.
func TestPreviousReadFollowsEachPartsNewestRead(t *testing.T) {
	ctx := context.Background()
	store, err := warehouse.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	commit := func(ds, mode string, written, carried, tail int64) {
		t.Helper()
		k := partitions.Key{Schema: "dwh", Table: "orders", DS: ds}
		a, err := partitions.Begin(ctx, store, k, "r-"+ds)
		if err != nil {
			t.Fatal(err)
		}
		name, w, err := a.Create(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("rows")); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		m := &partitions.Manifest{Schema: k.Schema, Table: k.Table, DS: ds, Mode: mode, RunID: "r-" + ds,
			Files: []partitions.File{{Name: name, Rows: written, Bytes: 4}},
			Rows:  partitions.Rows{Source: written, Written: written, Carried: carried, Tail: tail}}
		if err := a.Commit(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	commit("2026-03-01", partitions.ModeFull, 900, 0, 0)
	commit("2026-03-08", partitions.ModeTail, 1000, 0, 950)   // 50 recent
	commit("2026-03-09", partitions.ModeRecent, 60, 950, 950) // 60 recent
	commit("2026-03-10", partitions.ModeRecent, 70, 950, 950) // 70 recent

	j := &Job{Store: store}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, c := range []struct {
		ds, mode string
		want     map[string]previousRead
	}{
		{"2026-03-11", partitions.ModeFull, map[string]previousRead{"": {"2026-03-10", 1020}}},
		{"2026-03-11", partitions.ModeRecent, map[string]previousRead{"recent": {"2026-03-10", 70}}},
		{"2026-03-11", partitions.ModeTail, map[string]previousRead{"recent": {"2026-03-10", 70}, "tail": {"2026-03-08", 950}}},
		{"2026-03-09", partitions.ModeTail, map[string]previousRead{"recent": {"2026-03-08", 50}, "tail": {"2026-03-08", 950}}},
		// After a full import, no recent rows to compare with, nor a tail.
		{"2026-03-02", partitions.ModeTail, map[string]previousRead{}},
		{"2026-03-01", partitions.ModeFull, map[string]previousRead{}},
	} {
		// The parts an import of that mode reads, by role.
		roles := map[string][]string{
			partitions.ModeFull:   {""},
			partitions.ModeRecent: {partitions.RoleRecent},
			partitions.ModeTail:   {partitions.RoleTail, partitions.RoleRecent},
		}[c.mode]
		got := map[string]previousRead{}
		for _, role := range roles {
			if prev, ok := j.previousRead(ctx, log, partitions.Key{Schema: "dwh", Table: "orders", DS: c.ds}, role); ok {
				got[role] = prev
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s %s: got %v, want %v", c.ds, c.mode, got, c.want)
			continue
		}
		for role, w := range c.want {
			if got[role] != w {
				t.Errorf("%s %s: got %v, want %v", c.ds, c.mode, got, c.want)
			}
		}
	}
}
