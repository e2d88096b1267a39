package lake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
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

// CheckWarehouse does in the warehouse, on a small object of its own,
// what a run does with its files: write one, write one only if absent
// (as a commit writes its manifest), read it back, list, and delete them,
// so that a missing bucket, credentials that cannot write or a folder
// that cannot be created show before the night rather than after its
// reads. It leaves nothing behind unless the delete itself fails, not
// even the folders of a local warehouse that did not exist yet.
func CheckWarehouse(ctx context.Context, cfg *Config) (err error) {
	if !cfg.IsS3() {
		for _, dir := range missingFolders(cfg.Warehouse) {
			// Deepest first; Remove leaves a folder that is not empty.
			defer os.Remove(dir)
		}
	}
	store, err := OpenWarehouse(cfg)
	if err != nil {
		return err
	}
	dir := "_validate-" + NewRunID(time.Now()) + "/"
	probe := []byte("written by lake validate, and deleted right after\n")
	defer func() {
		if err != nil {
			// Best effort: the step that failed said why.
			_ = store.Delete(context.WithoutCancel(ctx), dir)
		}
	}()
	// The store's errors name the object and, for a bucket that does not
	// exist or access that is denied, what to do.
	w, err := store.Create(ctx, dir+"file")
	if err != nil {
		return err
	}
	if _, err := w.Write(probe); err != nil {
		w.Abort()
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	if err := store.PutIfAbsent(ctx, dir+"manifest", probe); err != nil {
		return fmt.Errorf("write %s once, as a commit does: %w", dir+"manifest", err)
	}
	obj, err := store.Open(ctx, dir+"file")
	if err != nil {
		return fmt.Errorf("read back %s: %w", dir+"file", err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil {
		return fmt.Errorf("read back %s: %w", dir+"file", err)
	}
	if !bytes.Equal(got, probe) {
		return fmt.Errorf("read back %s: got %d bytes that differ from the %d written", dir+"file", len(got), len(probe))
	}
	entries, err := store.List(ctx, dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	if len(entries) != 2 {
		return fmt.Errorf("list %s: %d objects, want the 2 just written", dir, len(entries))
	}
	if err := store.Delete(ctx, dir); err != nil {
		return fmt.Errorf("delete %s (remove it by hand): %w", dir, err)
	}
	return nil
}

// missingFolders is the folders that creating dir would make, dir last.
func missingFolders(dir string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	var missing []string
	for d := abs; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, fs.ErrNotExist) || d == filepath.Dir(d) {
			break
		}
		missing = append([]string{d}, missing...)
	}
	return missing
}
