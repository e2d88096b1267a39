package lake_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/partitions"
)

// incRow is the test's own record of one source row.
type incRow struct {
	created *time.Time // nil: created_at IS NULL
	v       string
}

// incSource is a PostgreSQL table the scenario changes day by day, and the
// test's record of what it holds.
type incSource struct {
	t    *testing.T
	conn *pgx.Conn
	rows map[int]incRow
	next int
}

func (s *incSource) exec(q string, args ...any) {
	s.t.Helper()
	if _, err := s.conn.Exec(context.Background(), q, args...); err != nil {
		s.t.Fatalf("%s: %v", q, err)
	}
}

func (s *incSource) insert(created *time.Time, v string) int {
	s.t.Helper()
	s.next++
	s.exec(`INSERT INTO orders (id, created_at, v) VALUES ($1, $2, $3)`, s.next, created, v)
	s.rows[s.next] = incRow{created: created, v: v}
	return s.next
}

func (s *incSource) update(id int, v string) {
	s.t.Helper()
	s.exec(`UPDATE orders SET v = $2 WHERE id = $1`, id, v)
	r := s.rows[id]
	r.v = v
	s.rows[id] = r
}

func (s *incSource) delete(id int) {
	s.t.Helper()
	s.exec(`DELETE FROM orders WHERE id = $1`, id)
	delete(s.rows, id)
}

// ids returns the ids of rows whose created_at is >= b (recent) or not.
func (s *incSource) ids(recent bool, b time.Time) []int {
	var out []int
	for id, r := range s.rows {
		if (r.created != nil && !r.created.Before(b)) == recent {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// incrementalWarehouse is a warehouse the three-weeks scenario runs on.
type incrementalWarehouse struct {
	// store is the warehouse the test reads; lake's job runs on lake if
	// set (the same warehouse seen through a counting proxy, say), else
	// on store.
	store, lake warehouse.Store
	// oldRows is how many rows older than the first night's B the source
	// starts with; 300 if zero. More rows make bigger tail files.
	oldRows int
	// sourceKeys and tableKeys are added to the source's and the table's
	// keys in lake.yaml, each starting with ", ".
	sourceKeys, tableKeys string
	// beforeNight, if set, is called just before each night's run.
	beforeNight func()
	// carried, if set, checks that the tail files of partition dst were
	// made from those of partition src without their bytes passing
	// through lake. It is called right after each night that carried them.
	carried func(t *testing.T, src, dst partitions.Key, tail []partitions.File)
}

// Three weeks of nights of an incremental table on the local folder: see
// runThreeWeeks. The tail files of a recent night are hard links.
func TestIncrementalThreeWeeksOnALocalFolder(t *testing.T) {
	store, err := warehouse.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	runThreeWeeks(t, incrementalWarehouse{
		store: store,
		carried: func(t *testing.T, src, dst partitions.Key, tail []partitions.File) {
			t.Helper()
			for _, f := range tail {
				a, err := os.Stat(store.Location(src.Prefix() + f.Name))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.Stat(store.Location(dst.Prefix() + f.Name))
				if err != nil {
					t.Fatal(err)
				}
				if !os.SameFile(a, b) {
					t.Errorf("%s of %s is not a hard link of the one in %s", f.Name, dst, src)
				}
			}
		},
	})
}

// The same three weeks with the table read in two ranges of chunks of one
// page (8KiB), by two connections: the recent rows and the tail are each
// split into chunks, and every night must still hold each row once.
func TestIncrementalThreeWeeksInRangesOfChunks(t *testing.T) {
	store, err := warehouse.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	runThreeWeeks(t, incrementalWarehouse{
		store:      store,
		oldRows:    3000,
		sourceKeys: ", workers: 2, chunk_size: 8KiB",
		tableKeys:  ", split: 2",
	})
}

// runThreeWeeks drives 21 nights of an incremental PostgreSQL table
// (window 10d, tail on sundays, Europe/Paris, across the switch to summer
// time) with a fake clock. Every day it inserts rows (some exactly at the
// boundary B and just before it, some with a NULL created_at), updates and
// deletes rows inside the window, and updates a row older than B. One
// night runs with --full, one tail night fails. After each night the
// partition's files (every file in its folder, as Trino reads them) must
// hold exactly what the test expects from its own record of the source:
// rows >= B as they are now, older and NULL rows as they were at the last
// tail import.
func runThreeWeeks(t *testing.T, wh incrementalWarehouse) {
	ctx := context.Background()
	dsn := testenv.NewPostgresDB(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	src := &incSource{t: t, conn: conn, rows: map[int]incRow{}}
	src.exec(`CREATE TABLE orders (id integer PRIMARY KEY, created_at timestamptz, v text)`)

	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.Setenv("LAKE_TEST_INC_DSN", dsn)
	cfg := writeConfig(t, dir, fmt.Sprintf(`
warehouse: ./warehouse
timezone: Europe/Paris
sources:
  pg: {driver: postgres, dsn: "${LAKE_TEST_INC_DSN}"%s}
tables:
  - {name: orders, source: pg, incremental: {column: created_at, window: 10d, tail_day: sunday}%s}
clusters:
  - {name: local, engine: duckdb, path: ./lake.duckdb}
`, wh.sourceKeys, wh.tableKeys))
	job, err := lake.NewJob(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	job.Store = wh.store
	if wh.lake != nil {
		job.Store = wh.lake
	}
	var clock time.Time
	job.Now = func() time.Time { return clock }

	first := time.Date(2026, 3, 18, 0, 0, 0, 0, paris) // a Wednesday
	at := func(day time.Time, h, m int) *time.Time {
		x := time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, paris)
		return &x
	}
	oldRows := wh.oldRows
	if oldRows == 0 {
		oldRows = 300
	}
	// One round trip for all of them: a big tail must not make a slow test.
	batch := &pgx.Batch{}
	for i := 1; i <= oldRows; i++ {
		created := first.Add(-time.Duration(i) * (4*time.Hour + 7*time.Minute))
		src.next++
		// A hash makes the values incompressible, so that the size of
		// the tail files follows oldRows.
		v := fmt.Sprintf("old-%d-%x", i, sha256.Sum256([]byte(strconv.Itoa(i))))
		batch.Queue(`INSERT INTO orders (id, created_at, v) VALUES ($1, $2, $3)`, src.next, created, v)
		src.rows[src.next] = incRow{created: &created, v: v}
	}
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		src.insert(nil, fmt.Sprintf("null-%d", i))
	}

	rng := rand.New(rand.NewPCG(4, 2))
	pick := func(ids []int) int { return ids[rng.IntN(len(ids))] }
	var (
		tailDS   string
		boundAt  time.Time // the test's B: midnight starting ds-10d in Paris
		tailRows map[int]incRow
	)
	for n := range 21 {
		day := first.AddDate(0, 0, n)
		ds := day.Format("2006-01-02")
		key := partitions.Key{Schema: "dwh", Table: "orders", DS: ds}
		full := ds == "2026-03-26"
		failing := ds == "2026-03-29"
		wantTail := n == 0 || day.Weekday() == time.Sunday || full || ds == "2026-03-30"
		if failing {
			wantTail = false
		}

		// The day's business, then the night. B is the one of the last
		// tail import, or tonight's if tonight imports the tail.
		b := boundAt
		if wantTail {
			b = time.Date(day.Year(), day.Month(), day.Day()-10, 0, 0, 0, 0, paris)
		}
		if n > 0 {
			for k, hm := range [][2]int{{10, 0}, {18, 30}, {23, 30}} {
				src.insert(at(day.AddDate(0, 0, -1), hm[0], hm[1]), fmt.Sprintf("new-%s-%d", ds, k))
			}
			edge := b
			src.insert(&edge, "at-B-"+ds)
			before := b.Add(-time.Microsecond)
			src.insert(&before, "just-before-B-"+ds)
			if n%3 == 0 {
				src.insert(nil, "null-"+ds)
			}
			recent, old := src.ids(true, b), src.ids(false, b)
			src.update(pick(recent), "updated-"+ds)
			src.update(pick(recent), "updated-again-"+ds)
			src.delete(pick(recent))
			src.update(pick(old), "old-row-updated-"+ds)
		}
		clock = day.Add(2*time.Hour + 30*time.Minute)

		if failing {
			src.exec(`ALTER TABLE orders RENAME TO orders_away`)
		}
		if wh.beforeNight != nil {
			wh.beforeNight()
		}
		rep, err := job.Run(ctx, lake.RunOptions{DS: ds, Full: full})
		if err != nil {
			t.Fatal(err)
		}
		if failing {
			src.exec(`ALTER TABLE orders_away RENAME TO orders`)
			if got := statuses(rep); got != "dwh.orders=failed" {
				t.Fatalf("%s: %s, want a failed night", ds, got)
			}
			if _, err := partitions.ReadManifest(ctx, wh.store, key); !errors.Is(err, partitions.ErrNotCommitted) {
				t.Fatalf("%s: the failed night has a partition: %v", ds, err)
			}
			continue
		}
		if got := statuses(rep); got != "dwh.orders=committed" {
			t.Fatalf("%s: %s: %+v", ds, got, rep.Tables)
		}
		m, err := partitions.ReadManifest(ctx, wh.store, key)
		if err != nil {
			t.Fatal(err)
		}

		if wantTail {
			tailDS, boundAt, tailRows = ds, b, map[int]incRow{}
			for _, id := range src.ids(false, b) {
				tailRows[id] = src.rows[id]
			}
		}
		want := maps.Clone(tailRows)
		for _, id := range src.ids(true, boundAt) {
			want[id] = src.rows[id]
		}

		wantMode := partitions.ModeRecent
		if wantTail {
			wantMode = partitions.ModeTail
		}
		inc := m.Incremental
		if m.Mode != wantMode || inc == nil || inc.Bound != boundAt.Format("2006-01-02") || inc.TailDS != tailDS || !inc.BoundAt.Equal(boundAt) {
			t.Fatalf("%s: mode %s, incremental %+v; want mode %s, B %s, tail of ds=%s", ds, m.Mode, inc, wantMode, boundAt, tailDS)
		}
		switch ds {
		case "2026-03-26":
			if inc.Reason != "--full" {
				t.Errorf("%s: reason %q, want --full", ds, inc.Reason)
			}
		case "2026-03-30":
			if !strings.Contains(inc.Reason, "last tail day 2026-03-29") {
				t.Errorf("%s: reason %q, want the missed tail day", ds, inc.Reason)
			}
		}
		if m.Rows.Tail != int64(len(tailRows)) {
			t.Errorf("%s: manifest says %d tail rows, the source had %d rows < B or NULL at the tail import", ds, m.Rows.Tail, len(tailRows))
		}
		if wantTail {
			if m.Rows.Source != int64(len(src.rows)) || m.Rows.Carried != 0 {
				t.Errorf("%s: tail import read %d rows and carried %d; the source has %d", ds, m.Rows.Source, m.Rows.Carried, len(src.rows))
			}
		} else {
			var inSource int64
			if err := conn.QueryRow(ctx, `SELECT count(*) FROM orders WHERE created_at >= $1`, boundAt).Scan(&inSource); err != nil {
				t.Fatal(err)
			}
			if m.Rows.Source != inSource || m.Rows.Written != inSource || m.Rows.Carried != int64(len(tailRows)) {
				t.Errorf("%s: read %d (source %d), carried %d; the source has %d rows >= B and the tail %d",
					ds, m.Rows.Written, m.Rows.Source, m.Rows.Carried, inSource, len(tailRows))
			}
			if wh.carried != nil {
				wh.carried(t, partitions.Key{Schema: "dwh", Table: "orders", DS: tailDS}, key, m.TailFiles())
			}
		}
		if got, want := partitionRows(t, wh.store, key), rowsText(want); got != want {
			t.Fatalf("%s (%s): partition holds\n%s\nwant\n%s", ds, m.Mode, got, want)
		}
	}
}

// rowsText is rows as "id=v" lines sorted by id.
func rowsText(rows map[int]incRow) string {
	var out []string
	for _, id := range slices.Sorted(maps.Keys(rows)) {
		out = append(out, fmt.Sprintf("%d=%s", id, rows[id].v))
	}
	return strings.Join(out, "\n")
}

// partitionRows reads every Parquet file in the partition's folder, as an
// engine that lists the folder does, and returns their id and v as "id=v"
// lines sorted by id (duplicates kept).
func partitionRows(t *testing.T, store warehouse.Store, k partitions.Key) string {
	t.Helper()
	ctx := context.Background()
	entries, err := store.List(ctx, k.Prefix())
	if err != nil {
		t.Fatal(err)
	}
	type kv struct {
		id int32
		v  string
	}
	var rows []kv
	for _, e := range entries {
		if !strings.HasSuffix(e.Key, ".parquet") {
			continue
		}
		obj, err := store.Open(ctx, e.Key)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := file.NewParquetReader(io.NewSectionReader(obj, 0, obj.Size()))
		if err != nil {
			t.Fatal(err)
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids := tbl.Column(tbl.Schema().FieldIndices("id")[0]).Data().Chunks()
		vs := tbl.Column(tbl.Schema().FieldIndices("v")[0]).Data().Chunks()
		for c := range ids {
			ia, va := ids[c].(*array.Int32), vs[c].(*array.String)
			for i := range ia.Len() {
				rows = append(rows, kv{ia.Value(i), va.Value(i)})
			}
		}
		tbl.Release()
		pf.Close()
		obj.Close()
	}
	slices.SortFunc(rows, func(a, b kv) int { return int(a.id - b.id) })
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%d=%s", r.id, r.v)
	}
	return strings.Join(out, "\n")
}

func TestDSIsRefusedInTheFutureAndBeyondMaxDSAge(t *testing.T) {
	cases := []struct {
		name, maxAge, ds string
		refused          string // part of the error; "" for accepted
	}{
		{"today", "", "2026-11-25", ""},
		{"two days ago is within the default grace period", "", "2026-11-23", ""},
		{"three days ago is too old by default", "", "2026-11-22", "3 days before today (2026-11-25 in Europe/Paris)"},
		{"tomorrow is in the future", "", "2026-11-26", "in the future"},
		{"max_ds_age: 0d accepts only today", "max_ds_age: 0d\n", "2026-11-24", "max_ds_age (0d)"},
		{"max_ds_age in weeks", "max_ds_age: 2w\n", "2026-11-11", ""},
		{"max_ds_age in weeks, one day more", "max_ds_age: 2w\n", "2026-11-10", "max_ds_age (14d)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeConfig(t, dir, "warehouse: ./warehouse\ntimezone: Europe/Paris\n"+tc.maxAge+
				"sources:\n  shop: {driver: sqlite, dsn: ./shop.db}\ntables:\n  - {name: orders, source: shop}\n")
			job := newJob(t, cfg)
			// 00:30 in Paris on the 25th is still the 24th in UTC.
			job.Now = func() time.Time { return time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC) }
			err := job.CheckDS(tc.ds)
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("ds %s refused: %v", tc.ds, err)
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Fatalf("ds %s: error %v, want one saying %q", tc.ds, err, tc.refused)
			}
			if tc.refused != "" {
				if _, err := job.Run(context.Background(), lake.RunOptions{DS: tc.ds}); err == nil {
					t.Fatalf("Run accepted ds %s", tc.ds)
				}
			}
		})
	}
}

// A SQLite source: a new source column makes the carried tail files
// disagree with tonight's, so lake imports the tail again instead; the
// views read every night alike.
func TestNewSourceColumnForcesATailImport(t *testing.T) {
	dir := t.TempDir()
	s := newShop(t, dir)
	s.exec(`INSERT INTO orders VALUES (1, 'old', 1.00, '2026-01-01 10:00:00'), (2, 'new', 2.00, '2026-11-20 10:00:00'),
		(3, 'none', 3.00, NULL), (4, 'epoch', 4.00, 1795000000)`)
	cfg := writeConfig(t, dir, `
warehouse: ./warehouse
max_ds_age: 3650d # the tests replay fixed nights long past
sources:
  shop: {driver: sqlite, dsn: ./shop.db}
tables:
  - name: orders
    source: shop
    incremental: {column: created_at, window: 30d, tail_day: monday}
clusters:
  - {name: local, engine: duckdb, path: ./lake.duckdb}
`)
	job := newJob(t, cfg)
	nights := []struct {
		ds, mode, reason string
		tail, read       int64
		change           string
	}{
		{ds: "2026-11-18", mode: "tail", reason: "no tail import yet", tail: 2, read: 4},
		{ds: "2026-11-19", mode: "recent", tail: 2, read: 2, change: `UPDATE orders SET status = 'changed' WHERE id = 1`},
		{ds: "2026-11-20", mode: "tail", reason: "the source's columns changed since the tail import of ds=2026-11-18", tail: 2, read: 4,
			change: `ALTER TABLE orders ADD COLUMN channel TEXT`},
		{ds: "2026-11-21", mode: "recent", tail: 2, read: 2},
	}
	for _, n := range nights {
		if n.change != "" {
			s.exec(n.change)
		}
		rep := run(t, job, n.ds)
		if err := rep.Err(); err != nil {
			t.Fatalf("%s: %v", n.ds, err)
		}
		m, err := partitions.ReadManifest(context.Background(), job.Store, partitions.Key{Schema: "dwh", Table: "orders", DS: n.ds})
		if err != nil {
			t.Fatal(err)
		}
		if m.Mode != n.mode || m.Incremental.Reason != n.reason || m.Rows.Tail != n.tail || m.Rows.Written != n.read || m.TotalRows() != 4 {
			t.Errorf("%s: mode %s (%q), %d tail rows, %d read, %d in all; want %s (%q), %d, %d, 4",
				n.ds, m.Mode, m.Incremental.Reason, m.Rows.Tail, m.Rows.Written, m.TotalRows(), n.mode, n.reason, n.tail, n.read)
		}
	}
	// Row 1 is older than B: its change shows from the tail import of the 20th.
	if got := query(t, cfg, `SELECT ds, status FROM dwh.orders WHERE id = 1 ORDER BY ds`); got != "2026-11-18,old\n2026-11-19,old\n2026-11-20,changed\n2026-11-21,changed" {
		t.Errorf("row 1 by night:\n%s", got)
	}
	if got := query(t, cfg, `SELECT count(*), count(channel) FROM orders_latest`); got != "4,0" {
		t.Errorf("orders_latest: %s", got)
	}
}
