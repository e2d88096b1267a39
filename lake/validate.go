package lake

import (
	"context"
	"errors"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/loaders"
)

// SourceCheck is the result of connecting to one source and looking at
// the tables read from it.
type SourceCheck struct {
	Source  string
	Driver  string
	DSN     string // redacted
	Tables  []TableCheck
	Elapsed time.Duration
	// Err is set when the source could not be reached or no snapshot
	// could be opened on it; its tables are then not checked.
	Err error
}

// TableCheck is what a check found out about one table, in a snapshot of
// its source, without reading its rows.
type TableCheck struct {
	TableConfig
	// Columns are the columns a run would write, with their types.
	Columns []loaders.Column
	// Estimate is the source's estimate of the table's rows (PostgreSQL's
	// pg_class.reltuples, MySQL's TABLE_ROWS), when HasEstimate.
	Estimate    int64
	HasEstimate bool
	// Err says why a run would fail on the table before its first row:
	// no such table, a column type lake cannot store, a query that does
	// not run, an incremental column that is missing or not a date or
	// timestamp.
	Err error
}

// CheckSources connects to every source that a table uses, opens a
// snapshot on it the way a run would, and checks each of its tables in
// that snapshot (checkTable). No table is read.
func CheckSources(ctx context.Context, cfg *Config, now time.Time) []SourceCheck {
	var out []SourceCheck
	for _, g := range bySource(cfg.Tables) {
		sc := cfg.Sources[g.tables[0].Source]
		start := time.Now()
		chk := SourceCheck{Source: sc.Name, Driver: sc.Driver, DSN: RedactDSN(sc.DSN)}
		for _, t := range g.tables {
			chk.Tables = append(chk.Tables, TableCheck{TableConfig: t})
		}
		chk.Err = checkTables(ctx, sc, chk.Tables, todayStart(cfg, now))
		chk.Elapsed = time.Since(start)
		out = append(out, chk)
	}
	return out
}

func checkTables(ctx context.Context, sc SourceConfig, tables []TableCheck, bound time.Time) error {
	src, err := OpenSource(ctx, sc)
	if err != nil {
		return err
	}
	defer src.Close()
	snap, err := src.Snapshot(ctx)
	if err != nil {
		return err
	}
	defer snap.Close()
	for i := range tables {
		checkTable(ctx, snap, &tables[i], bound)
	}
	return nil
}

// errDescribed stops a check's read once the loader has said what the
// columns are.
var errDescribed = errors.New("columns described")

// describeSink keeps the columns a Read announces and stops it there:
// every loader resolves the column types, and checks an incremental
// column, before its first row, and PostgreSQL's before COPY starts.
// (MySQL and SQLite have started the SELECT by then; MySQL's is killed.)
type describeSink struct{ cols []loaders.Column }

func (d *describeSink) Begin(_ *arrow.Schema, cols []loaders.Column) error {
	d.cols = cols
	return errDescribed
}

func (d *describeSink) Write(arrow.RecordBatch) error { return errDescribed }

// checkTable reads t's query in snap up to its columns: sliced as a
// recent import would be when t is incremental, so that the loader checks
// the column as a run does. bound, any midnight, stands for the boundary.
func checkTable(ctx context.Context, snap loaders.Snapshot, t *TableCheck, bound time.Time) {
	q := t.sourceQuery()
	if t.Incremental.Enabled() {
		q = boundary{column: t.Incremental.Column, at: bound}.query(q, loaders.Recent)
	}
	var d describeSink
	err := snap.Read(ctx, q, loaders.ReadOptions{}, &d)
	if !errors.Is(err, errDescribed) {
		if err == nil {
			err = errors.New("the source read the table without announcing its columns")
		}
		t.Err = err
		return
	}
	t.Columns = d.cols
	// An estimate is only shown; failing to get one is not a failure.
	if n, ok, err := estimateRows(ctx, snap, q); err == nil && ok {
		t.Estimate, t.HasEstimate = n, true
	}
}

// todayStart is the midnight that starts today's ds in cfg's time zone.
func todayStart(cfg *Config, now time.Time) time.Time {
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
