package main_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// An incremental table through the CLI: a tail import, a recent night that
// reuses it, --full forcing a tail import, show naming the mode, and a ds
// older than max_ds_age refused with exit code 2.
func TestRunFullForcesATailImportAndOldDSIsRefused(t *testing.T) {
	dir := t.TempDir()
	day := func(back int) time.Time { return time.Now().UTC().AddDate(0, 0, -back) }
	tailDay := strings.ToLower(day(2).Weekday().String())
	makeShop(t, dir, 1000, "  - {name: recent_orders, source: shop, table: orders, incremental: {column: created_at, window: 30d, tail_day: "+tailDay+"}}\n")

	nights := []struct {
		args []string
		ds   string
		mode string
	}{
		{[]string{"--tables", "recent_orders"}, day(2).Format(time.DateOnly), "tail"},
		{[]string{"--tables", "recent_orders"}, day(1).Format(time.DateOnly), "recent"},
		{[]string{"--tables", "recent_orders", "--full"}, day(0).Format(time.DateOnly), "tail"},
	}
	for _, n := range nights {
		if r := lake(t, dir, append([]string{"run", "--ds", n.ds}, n.args...)...); r.code != 0 {
			t.Fatalf("run %s: exit %d\n%s", n.ds, r.code, r.stderr)
		}
		r := lake(t, dir, "show", "recent_orders", "--ds", n.ds, "--json")
		var m struct {
			Mode        string
			Incremental struct{ Reason string }
			Rows        struct{ Written, Carried int64 }
		}
		if err := json.Unmarshal([]byte(r.stdout), &m); err != nil {
			t.Fatalf("show: %v\n%s", err, r.stdout)
		}
		if m.Mode != n.mode || m.Rows.Written+m.Rows.Carried != 1000 {
			t.Errorf("%s %v: mode %s, rows %+v; want %s, 1000 rows", n.ds, n.args, m.Mode, m.Rows, n.mode)
		}
		if slicesContains(n.args, "--full") && m.Incremental.Reason != "--full" {
			t.Errorf("%s: reason %q, want --full", n.ds, m.Incremental.Reason)
		}
	}
	if r := lake(t, dir, "show", "recent_orders", "--ds", day(1).Format(time.DateOnly)); !strings.Contains(r.stdout, "carried") {
		t.Errorf("show of a recent night does not say what was carried:\n%s", r.stdout)
	}

	r := lake(t, dir, "run", "--ds", "2000-01-01")
	if r.code != 2 || !strings.Contains(r.stderr, "max_ds_age") {
		t.Errorf("ds 2000-01-01: exit %d, want 2 naming max_ds_age\n%s", r.code, r.stderr)
	}
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
