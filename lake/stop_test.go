package lake_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/partitions"
)

// cancelWhileReading cancels a run, with cause, from the first progress
// line of table that counts rows: a stop in the middle of the table's
// read, as a cron job's timeout or a deploy's SIGTERM makes one.
type cancelWhileReading struct {
	slog.Handler
	table  string
	cancel context.CancelCauseFunc
	cause  error
	// of is the table of the logger's lines (its "table" attribute).
	of string
}

func (h cancelWhileReading) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "reading" && h.of == h.table {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "rows" && a.Value.Int64() > 0 {
				h.cancel(h.cause)
			}
			return true
		})
	}
	return h.Handler.Handle(ctx, r)
}

func (h cancelWhileReading) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := h
	out.Handler = h.Handler.WithAttrs(attrs)
	for _, a := range attrs {
		if a.Key == "table" {
			out.of = a.Value.String()
		}
	}
	return out
}

func (h cancelWhileReading) WithGroup(name string) slog.Handler {
	out := h
	out.Handler = h.Handler.WithGroup(name)
	return out
}

// A run stopped in the middle of a read commits nothing for that table,
// leaves its night before as the latest, and says why the table failed:
// the stop and its cause, not only "context canceled". A table committed
// before the stop is still published: the clusters are brought up to date
// after the stop (lake.StopGrace).
func TestARunStoppedMidReadSaysWhyAndCommitsNothing(t *testing.T) {
	dir := t.TempDir()
	s := newShop(t, dir)
	s.addOrders(1, 10)
	// customers first: it is committed before the stop cuts orders off.
	orders, customers := "  - {name: orders, source: shop}\n", "  - {name: customers, source: shop}\n"
	cfg := writeConfig(t, dir, strings.Replace(shopConfig, orders+customers, customers+orders, 1))
	if rep := run(t, newJob(t, cfg), "2026-01-01"); rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	s.exec(`WITH RECURSIVE n(i) AS (SELECT 11 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
		INSERT INTO orders SELECT i, 'new', i * 1.25, '2026-01-01 10:00:00' FROM n`)

	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigterm := errors.New("terminated signal received")
	var logs lockedBuffer
	job, err := lake.NewJob(cfg, slog.New(cancelWhileReading{Handler: slog.NewJSONHandler(&logs, nil), table: "dwh.orders", cancel: cancel, cause: sigterm}))
	if err != nil {
		t.Fatal(err)
	}
	job.Progress = time.Millisecond
	rep, err := job.Run(ctx, lake.RunOptions{DS: "2026-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == nil {
		t.Fatal("the run ended before any progress line counted rows; nothing was stopped")
	}
	if got := statuses(rep); got != "dwh.customers=committed dwh.orders=failed" {
		t.Fatalf("%s\n%+v", got, rep.Tables)
	}
	if msg := rep.Tables[1].Message; !strings.Contains(msg, "(the run was stopped: terminated signal received)") {
		t.Errorf("dwh.orders: %q; want it to say the run was stopped and why", msg)
	}
	for _, c := range rep.Clusters {
		if c.Status != "ok" {
			t.Errorf("cluster %s: %s %q; want ok: synced after the stop", c.Cluster, c.Status, c.Message)
		}
	}
	if got := query(t, cfg, "SELECT ds, count(*) FROM dwh.customers_latest GROUP BY ds"); got != "2026-01-02,3" {
		t.Errorf("customers_latest after the stop: %q; want the stopped night's 3 customers, committed before the stop", got)
	}
	if _, err := partitions.ReadManifest(context.Background(), job.Store, partitions.Key{Schema: "dwh", Table: "orders", DS: "2026-01-02"}); !errors.Is(err, partitions.ErrNotCommitted) {
		t.Errorf("dwh.orders ds=2026-01-02 after the stop: %v; want not committed", err)
	}
	if got := query(t, cfg, "SELECT ds, count(*) FROM dwh.orders_latest GROUP BY ds"); got != "2026-01-01,10" {
		t.Errorf("orders_latest after the stop: %q; want the night before's 10 orders", got)
	}
}
