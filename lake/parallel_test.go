package lake_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/partitions"
)

// Tables read in parallel, and ranges of one table read by several
// connections, all see one snapshot while writers keep changing the
// source: money moved between accounts never appears twice or vanishes,
// and every order arrives with exactly its items. Reads that each took a
// snapshot of their own would see some transfers and orders half done.
func TestParallelReadsShareOneSnapshotUnderConcurrentWrites(t *testing.T) {
	readsShareOneSnapshot(t, false)
}

// The same night read from a hot standby while the writer changes its
// primary, as a nightly job should read production: the standby exports
// the snapshot that the other connections import.
func TestParallelReadsOfAStandbyShareOneSnapshot(t *testing.T) {
	readsShareOneSnapshot(t, true)
}

func readsShareOneSnapshot(t *testing.T, fromStandby bool) {
	ctx := context.Background()
	const accounts, balance = 200_000, 100
	dsn, _ := newSourceDB(t,
		`CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text)`,
		fmt.Sprintf(`INSERT INTO accounts SELECT i, %d, 'account number ' || i FROM generate_series(1, %d) i`, balance, accounts),
		`CREATE TABLE orders (id bigserial PRIMARY KEY, n_items int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
		`CREATE TABLE order_items (order_id bigint NOT NULL, line int NOT NULL, amount bigint NOT NULL)`,
		`INSERT INTO orders (n_items) SELECT 1 + i % 5 FROM generate_series(1, 50000) i`,
		`INSERT INTO order_items SELECT o.id, l, o.id * l FROM orders o, generate_series(1, o.n_items) l`,
		`VACUUM ANALYZE`,
	)

	// The writer moves money and adds orders with their items, each in
	// one transaction, until the night is over.
	var commits atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		w, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Error(err)
			return
		}
		defer w.Close(ctx)
		rng := rand.New(rand.NewPCG(1, 2))
		for {
			select {
			case <-stop:
				return
			default:
			}
			from, to, n := 1+rng.IntN(accounts), 1+rng.IntN(accounts), 1+rng.IntN(4)
			err := pgx.BeginFunc(ctx, w, func(tx pgx.Tx) error {
				batch := &pgx.Batch{}
				batch.Queue(`UPDATE accounts SET balance = balance - 7 WHERE id = $1`, from)
				batch.Queue(`UPDATE accounts SET balance = balance + 7 WHERE id = $1`, to)
				batch.Queue(`WITH o AS (INSERT INTO orders (n_items) VALUES ($1) RETURNING id)
					INSERT INTO order_items SELECT o.id, l, l FROM o, generate_series(1, $1) l`, n)
				return tx.SendBatch(ctx, batch).Close()
			})
			if err != nil {
				t.Errorf("writer: %v", err)
				return
			}
			commits.Add(1)
		}
	})
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	// The writer must be busy before the night starts.
	for commits.Load() < 20 {
		time.Sleep(5 * time.Millisecond)
	}
	readDSN := dsn
	if fromStandby {
		readDSN = onStandby(t, dsn)
	}

	dir := t.TempDir()
	cfg := writeConfig(t, dir, fmt.Sprintf(`
warehouse: ./warehouse
max_ds_age: 3650d # the tests replay fixed nights long past
parquet: {row_group_size: 256KiB}
sources:
  # Chunks of 128KiB: the ranges of accounts are read in about 100 COPYs,
  # and a connection done early takes over chunks of the others.
  pg: {driver: postgres, dsn: %q, workers: 4, chunk_size: 128KiB}
tables:
  - {name: accounts, source: pg, split: 4}
  - {name: orders, source: pg, split: 2}
  - {name: order_items, source: pg, split: 3}
clusters:
  - {name: local, engine: duckdb, path: ./lake.duckdb}
`, readDSN))
	job := newJob(t, cfg)
	before := commits.Load()
	rep := run(t, job, "2026-11-20")
	during := commits.Load() - before
	close(stop)
	wg.Wait()
	if err := rep.Err(); err != nil {
		t.Fatalf("%v\n%+v", err, rep.Tables)
	}
	t.Logf("the writer committed %d transactions during the night", during)
	if during < 10 {
		t.Fatalf("only %d transactions committed during the night: the test proves nothing", during)
	}

	for table, ranges := range map[string]int{"accounts": 4, "orders": 2, "order_items": 3} {
		m, err := partitions.ReadManifest(ctx, job.Store, partitions.Key{Schema: "dwh", Table: table, DS: "2026-11-20"})
		if err != nil {
			t.Fatal(err)
		}
		// A range whose connection came when the others had read all its
		// chunks writes no file: there may be fewer files than ranges.
		if m.Source.Ranges != ranges || len(m.Files) < 1 {
			t.Errorf("%s: read in %d ranges into %d files, want %d ranges", table, m.Source.Ranges, len(m.Files), ranges)
		}
	}

	checks := []struct{ name, q, want string }{
		{"no money appears or vanishes",
			`SELECT count(*), sum(balance) FROM accounts_latest`, fmt.Sprintf("%d,%d", accounts, accounts*balance)},
		{"every order has exactly its items",
			`SELECT count(*) FROM orders_latest o
			  WHERE o.n_items <> (SELECT count(*) FROM order_items_latest i WHERE i.order_id = o.id)`, "0"},
		{"no item without its order",
			`SELECT count(*) FROM order_items_latest i
			  WHERE NOT EXISTS (SELECT 1 FROM orders_latest o WHERE o.id = i.order_id)`, "0"},
		{"no row twice",
			`SELECT (SELECT count(*) - count(DISTINCT id) FROM accounts_latest) + (SELECT count(*) - count(DISTINCT id) FROM orders_latest)`, "0"},
	}
	for _, c := range checks {
		if got := query(t, cfg, c.q); got != c.want {
			t.Errorf("%s: %s\n got %s\nwant %s", c.name, strings.Join(strings.Fields(c.q), " "), got, c.want)
		}
	}
}

// A range that fails (here on a value Arrow cannot hold) fails its table
// with that cause, stops the table's other ranges, and leaves the shared
// connections usable: the source's other tables still commit.
func TestFailedRangeFailsItsTableOnly(t *testing.T) {
	dsn, _ := newSourceDB(t,
		`CREATE TABLE bad (id int, day date, pad text)`,
		`INSERT INTO bad SELECT i, date '2026-01-01', repeat('x', 100) FROM generate_series(1, 100000) i`,
		`INSERT INTO bad VALUES (100001, 'infinity', 'x')`,
		`CREATE TABLE ok (id int, pad text)`,
		`INSERT INTO ok SELECT i, repeat('y', 100) FROM generate_series(1, 50000) i`,
	)
	cfg := pgConfig(t, t.TempDir(), dsn, ", workers: 2", "{name: bad, source: pg, split: 3}", "{name: ok, source: pg, split: 2}")
	rep := run(t, newJob(t, cfg), "2026-11-20")
	if got := statuses(rep); got != "dwh.bad=failed dwh.ok=committed" {
		t.Fatalf("%s\n%+v", got, rep.Tables)
	}
	if msg := rep.Tables[0].Message; !strings.Contains(msg, "infinity") || strings.Contains(msg, "stopped") {
		t.Errorf("the failure does not name its cause: %s", msg)
	}
	if got := query(t, cfg, `SELECT count(*) FROM ok_latest`); got != "50000" {
		t.Errorf("ok_latest has %s rows, want 50000", got)
	}
	if got := query(t, cfg, `SELECT count(*) FROM duckdb_views() WHERE view_name = 'bad_latest'`); got != "0" {
		t.Errorf("a view of the failed table exists")
	}
}

// A split table's ranges are read in chunks, and a connection done with
// its own range's chunks takes over those of a range still waiting: here
// three ranges share two connections, so the third range's connection
// comes only once the other two have read every chunk. The table still
// holds each row once, in the two ranges' files, and nothing is written
// for the third.
func TestRangesTakeOverTheChunksOfOthers(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newSourceDB(t,
		// About 4.6 MB of heap: some 60-70 chunks of 64KiB.
		`CREATE TABLE big (id int, pad text)`,
		`INSERT INTO big SELECT i, repeat('x', 200) FROM generate_series(1, 20000) i`,
	)
	cfg := pgConfig(t, t.TempDir(), dsn, ", workers: 2, chunk_size: 64KiB", "{name: big, source: pg, split: 3}")
	var logs lockedBuffer
	job, err := lake.NewJob(cfg, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	rep := run(t, job, "2026-11-20")
	if err := rep.Err(); err != nil {
		t.Fatalf("%v\n%+v", err, rep.Tables)
	}
	m, err := partitions.ReadManifest(ctx, job.Store, partitions.Key{Schema: "dwh", Table: "big", DS: "2026-11-20"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Source.Ranges != 3 || len(m.Files) != 2 {
		t.Errorf("read in %d ranges into %d files, want 3 ranges into 2 files", m.Source.Ranges, len(m.Files))
	}

	// Each range that read says how many chunks, and how many of them
	// were another range's.
	var (
		chunks, taken, rows float64
		ranges              []map[string]any
	)
	for _, l := range logs.lines(t) {
		if l["msg"] == "range read" {
			ranges = append(ranges, l)
			chunks += l["chunks"].(float64)
			taken += l["taken_from_other_ranges"].(float64)
			rows += l["rows"].(float64)
		}
	}
	if len(ranges) != 2 || chunks < 30 || taken < 1 || rows != 20000 {
		t.Errorf("%d ranges read %v chunks (%v of another range) and %v rows; want 2 ranges reading some 60 chunks, some of the third range, 20000 rows\n%v",
			len(ranges), chunks, taken, rows, ranges)
	}
	if got := query(t, cfg, `SELECT count(*), count(DISTINCT id), min(id), max(id) FROM big_latest`); got != "20000,20000,1,20000" {
		t.Errorf("big_latest has count, distinct ids, min, max %s, want 20000,20000,1,20000", got)
	}
}

// With several workers and no split:, a table whose heap holds at least two
// ranges of split_size is read in ranges (up to the workers), and anything
// else whole: a small table, a table with split: 1, a query.
func TestBigTablesAreReadInRangesWithoutSplit(t *testing.T) {
	ctx := context.Background()
	dsn, _ := newSourceDB(t,
		// About 4.6 MB of heap: 70 ranges of 64KiB, so as many as workers.
		`CREATE TABLE big (id int, pad text)`,
		`INSERT INTO big SELECT i, repeat('x', 200) FROM generate_series(1, 20000) i`,
		`CREATE TABLE kept_whole (id int, pad text)`,
		`INSERT INTO kept_whole SELECT i, repeat('x', 200) FROM generate_series(1, 20000) i`,
		// About 20 pages, 160 KiB: two ranges of 64KiB, not three.
		`CREATE TABLE medium (id int, pad text)`,
		`INSERT INTO medium SELECT i, repeat('x', 200) FROM generate_series(1, 700) i`,
		// One page of 8 KiB: fewer than two ranges of 64KiB.
		`CREATE TABLE small (id int)`,
		`INSERT INTO small VALUES (1), (2)`,
	)
	cfg := pgConfig(t, t.TempDir(), dsn, ", workers: 3, split_size: 64KiB",
		"{name: big, source: pg}",
		"{name: kept_whole, source: pg, split: 1}",
		"{name: medium, source: pg}",
		"{name: small, source: pg}",
		`{name: picked, source: pg, query: "SELECT id FROM big WHERE id <= 10"}`)
	job := newJob(t, cfg)
	rep := run(t, job, "2026-11-20")
	if err := rep.Err(); err != nil {
		t.Fatalf("%v\n%+v", err, rep.Tables)
	}
	for table, want := range map[string]struct {
		ranges int
		rows   string
	}{"big": {3, "20000"}, "kept_whole": {0, "20000"}, "medium": {2, "700"}, "small": {0, "2"}, "picked": {0, "10"}} {
		m, err := partitions.ReadManifest(ctx, job.Store, partitions.Key{Schema: "dwh", Table: table, DS: "2026-11-20"})
		if err != nil {
			t.Fatal(err)
		}
		if m.Source.Ranges != want.ranges {
			t.Errorf("%s: read in %d ranges, want %d (0: whole)", table, m.Source.Ranges, want.ranges)
		}
		if got := query(t, cfg, fmt.Sprintf(`SELECT count(DISTINCT id) FROM %s_latest`, table)); got != want.rows {
			t.Errorf("%s_latest has %s distinct ids, want %s", table, got, want.rows)
		}
	}
}
