package lake_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/partitions"
)

// A hot standby that must replay its primary's vacuum of rows the night's
// snapshot still sees cancels the snapshot. The table being read then
// fails with the standby's reason and what to change; the table after it
// names the same cause, not a closed connection; the table read before it
// commits; and yesterday's partition of the failed table stays the one
// _latest shows.
func TestStandbyCancellingTheSnapshotFailsTablesWithItsCause(t *testing.T) {
	ctx := context.Background()
	dsn, primary := newSourceDB(t,
		`CREATE TABLE before_it (id int)`,
		`INSERT INTO before_it SELECT generate_series(1, 10)`,
		`CREATE TABLE conflicted (id int, note text)`,
		`INSERT INTO conflicted SELECT i, 'row ' || i FROM generate_series(1, 1000) i`,
		`CREATE TABLE after_it (id int)`,
		`INSERT INTO after_it SELECT generate_series(1, 10)`,
	)
	standbyDSN := onStandby(t, dsn)

	dir := t.TempDir()
	config := func(dsn string) *lake.Config {
		return pgConfig(t, dir, dsn, "",
			"{name: before_it, source: pg}", "{name: conflicted, source: pg}", "{name: after_it, source: pg}")
	}
	cfg := config(standbyDSN)
	if rep := run(t, newJob(t, cfg), "2026-11-19"); rep.Err() != nil {
		t.Fatalf("yesterday's night: %v\n%+v", rep.Err(), rep.Tables)
	}

	// Tonight the standby cancels a conflicting snapshot at once rather
	// than after 30 seconds, and lake reaches it through a proxy that
	// holds its first statement on conflicted: the snapshot is then open,
	// before_it read, conflicted not yet.
	testenv.SetOnStandby(t, map[string]string{"max_standby_streaming_delay": "0", "hot_standby_feedback": "off"})
	u, err := url.Parse(standbyDSN)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewHoldProxy(t, u.Host, "conflicted")
	u.Host = proxy.Addr
	cfg = config(u.String())
	job := newJob(t, cfg)
	type result struct {
		rep *lake.Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := job.Run(ctx, lake.RunOptions{DS: "2026-11-20"})
		done <- result{rep, err}
	}()
	select {
	case <-proxy.Held:
	case r := <-done:
		t.Fatalf("the night ended before reading conflicted: %v %+v", r.err, r.rep)
	case <-time.After(time.Minute):
		t.Fatal("lake did not reach conflicted within a minute")
	}
	// The primary removes rows the snapshot still sees; the standby's
	// replay of that vacuum conflicts with the snapshot.
	for _, q := range []string{`DELETE FROM conflicted`, `VACUUM conflicted`} {
		if _, err := primary.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	testenv.WaitForStandby(t)
	proxy.Release()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}

	got := map[string]lake.TableResult{}
	for _, tr := range r.rep.Tables {
		got[tr.Table] = tr
	}
	if s := got["dwh.before_it"].Status; s != lake.StatusCommitted {
		t.Errorf("before_it, read before the conflict: %s (%s), want committed", s, got["dwh.before_it"].Message)
	}
	for _, name := range []string{"dwh.conflicted", "dwh.after_it"} {
		tr := got[name]
		t.Logf("%s: %s: %s", name, tr.Status, tr.Message)
		if tr.Status != lake.StatusFailed {
			t.Errorf("%s: %s, want failed", name, tr.Status)
		}
		for _, want := range []string{"conflict with recovery", "hot_standby_feedback = on"} {
			if !strings.Contains(tr.Message, want) {
				t.Errorf("%s: the message does not say %q:\n%s", name, want, tr.Message)
			}
		}
	}
	if msg := got["dwh.after_it"].Message; !strings.Contains(msg, "the snapshot's connection was lost (read dwh.conflicted)") {
		t.Errorf("after_it: the message does not say the snapshot was lost before it:\n%s", msg)
	}
	_, err = partitions.ReadManifest(ctx, job.Store, partitions.Key{Schema: "dwh", Table: "conflicted", DS: "2026-11-20"})
	if !errors.Is(err, partitions.ErrNotCommitted) {
		t.Errorf("conflicted has a partition for the failed night: %v", err)
	}
	if n := query(t, cfg, `SELECT count(*) FROM conflicted_latest`); n != "1000" {
		t.Errorf("conflicted_latest holds %s rows, want yesterday's 1000", n)
	}
}

// onStandby returns the URL of database dsn on the test server's standby,
// once the standby has replayed all that was written to it.
func onStandby(t *testing.T, dsn string) string {
	t.Helper()
	standby := testenv.OnStandby(t, dsn)
	testenv.WaitForStandby(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, standby)
	if err != nil {
		t.Fatalf("connect to the standby: %v", err)
	}
	defer conn.Close(ctx)
	var recovering bool
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&recovering); err != nil {
		t.Fatal(err)
	}
	if !recovering {
		t.Fatalf("%s names a server that is not a standby", testenv.PostgresStandbyEnv)
	}
	return standby
}
