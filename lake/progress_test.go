package lake_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake"
)

// lockedBuffer is a log destination the job's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines decodes the JSON log lines written so far and empties the buffer.
func (b *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(&b.buf)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// A table being read logs how many rows it has written so far, rising to
// at most the table's rows, before it commits, and from the second night
// on the rows of the night before; with no interval, nothing.
func TestProgressLogsRowsWhileATableIsRead(t *testing.T) {
	dir := t.TempDir()
	s := newShop(t, dir)
	insert := func(first, last int) {
		s.exec(`WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO orders SELECT i, 'new', i * 1.25, '2026-01-01 10:00:00' FROM n`, first, last)
	}
	cfg := writeConfig(t, dir, shopConfig)
	var logs lockedBuffer
	job, err := lake.NewJob(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	job.Progress = time.Millisecond

	insert(1, 200_000)
	progress := readingLines(t, job, &logs, "2026-01-01", 200_000)
	for _, l := range progress {
		if _, ok := l["previous_rows"]; ok {
			t.Fatalf("the first night has no previous rows: %v", l)
		}
	}
	insert(200_001, 230_000)
	for _, l := range readingLines(t, job, &logs, "2026-01-02", 230_000) {
		if l["previous_rows"] != 200_000.0 || l["previous_ds"] != "2026-01-01" {
			t.Fatalf("the second night's lines must show the first night's 200000 rows: %v", l)
		}
	}

	quiet, err := lake.NewJob(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if rep := run(t, quiet, "2026-01-03"); rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	for _, l := range logs.lines(t) {
		if l["msg"] == "reading" {
			t.Errorf("a progress line with Progress 0: %v", l)
		}
	}
}

// readingLines runs the job for ds and returns the progress lines of
// dwh.orders, checked: before it committed, rows rising to at most
// orders, at least one line with rows written.
func readingLines(t *testing.T, job *lake.Job, logs *lockedBuffer, ds string, orders int) []map[string]any {
	t.Helper()
	if rep := run(t, job, ds); rep.Err() != nil {
		t.Fatal(rep.Err())
	}
	var progress []map[string]any
	committed := false
	for _, l := range logs.lines(t) {
		if l["table"] != "dwh.orders" {
			continue
		}
		switch l["msg"] {
		case "reading":
			if committed {
				t.Errorf("a progress line after the table committed: %v", l)
			}
			progress = append(progress, l)
		case "committed":
			committed = true
		}
	}
	if !committed || len(progress) == 0 {
		t.Fatalf("ds %s: want progress lines before dwh.orders committed; got %d, committed %v", ds, len(progress), committed)
	}
	last := 0.0
	for _, l := range progress {
		rows, ok := l["rows"].(float64)
		if !ok || rows < last || rows > float64(orders) {
			t.Errorf("progress line %v: want rows from %v up to %d", l, last, orders)
		}
		if _, ok := l["seconds"].(float64); !ok {
			t.Errorf("progress line %v has no seconds", l)
		}
		last = rows
	}
	if last == 0 {
		t.Errorf("ds %s: %d progress lines, none with a row written", ds, len(progress))
	}
	return progress
}

// On PostgreSQL, the progress lines also give the planner's estimate of
// the table's rows, which the first night has nothing else to compare with.
func TestProgressGivesThePostgreSQLEstimate(t *testing.T) {
	dsn, _ := newSourceDB(t,
		`CREATE TABLE orders (id int, note text)`,
		`INSERT INTO orders SELECT i, 'order ' || i FROM generate_series(1, 300000) AS i`,
		`VACUUM orders`, // reltuples: every row counted
	)
	cfg := pgConfig(t, t.TempDir(), dsn, "", "{name: orders, source: pg}")
	var logs lockedBuffer
	job, err := lake.NewJob(cfg, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	job.Progress = time.Millisecond
	for _, l := range readingLines(t, job, &logs, "2026-01-01", 300_000) {
		if l["table_rows_estimate"] != 300_000.0 {
			t.Fatalf("progress line %v: want table_rows_estimate 300000", l)
		}
	}
}
