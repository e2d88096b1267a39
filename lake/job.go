package lake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/parquetfile"
	"github.com/lake-engine/lake/partitions"
	"github.com/lake-engine/lake/views"
)

// Job is the nightly job: snapshot the configured tables into a ds
// partition each, then bring every cluster up to date.
type Job struct {
	Config *Config
	Store  warehouse.Store
	Log    *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// RunOptions select what one run does.
type RunOptions struct {
	// DS is the partition date; empty means today in the config's time zone.
	DS string
	// Tables limits the run to these table names; empty means all.
	Tables []string
}

// NewJob opens the warehouse of cfg.
func NewJob(cfg *Config, log *slog.Logger) (*Job, error) {
	store, err := OpenWarehouse(cfg)
	if err != nil {
		return nil, err
	}
	return &Job{Config: cfg, Store: store, Log: log}, nil
}

// OpenWarehouse opens the store cfg.Warehouse names.
func OpenWarehouse(cfg *Config) (warehouse.Store, error) {
	return warehouse.NewLocal(cfg.Warehouse)
}

func (j *Job) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// NewRunID returns a sortable, unique id for a run: its UTC start time and
// a random suffix.
func NewRunID(now time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// Run runs the nightly job. It returns the run's report; a table or cluster
// that failed is in the report (see Report.Err), not in the returned error,
// which is for failures of the run as a whole (bad options, warehouse down).
func (j *Job) Run(ctx context.Context, opts RunOptions) (*Report, error) {
	start := j.now()
	ds := opts.DS
	if ds == "" {
		ds = j.Config.Today(start)
	}
	if err := j.checkDS(ds, start); err != nil {
		return nil, err
	}
	tables, err := j.Config.SelectTables(opts.Tables)
	if err != nil {
		return nil, err
	}
	rep := &Report{
		RunID:       NewRunID(start),
		DS:          ds,
		ToolVersion: Version(),
		Warehouse:   j.Store.String(),
		Started:     start.UTC(),
	}
	log := j.Log.With("run", rep.RunID, "ds", ds)
	log.Info("run started", "tables", len(tables), "warehouse", j.Store.String())

	for _, group := range bySource(tables) {
		rep.Tables = append(rep.Tables, j.runSource(ctx, log, rep.RunID, ds, group)...)
	}
	sortResults(rep.Tables)

	// Clusters are synced even when every table failed or was skipped: a
	// cluster that missed an earlier night is caught up by this one.
	rep.Clusters = j.syncClusters(ctx, log)
	rep.Finished = j.now().UTC()
	if err := rep.save(context.WithoutCancel(ctx), j.Store); err != nil {
		log.Error("could not save the run report", "err", err)
	}
	log.Info("run finished", "seconds", rep.Finished.Sub(rep.Started).Seconds(), "failed", len(rep.Failures()))
	return rep, nil
}

// checkDS refuses a ds in the future: a snapshot taken now cannot be the
// data of a night that has not happened.
func (j *Job) checkDS(ds string, now time.Time) error {
	d, err := ParseDS(ds)
	if err != nil {
		return err
	}
	today := j.Config.Today(now)
	if d.Format(partitions.DateLayout) > today {
		return fmt.Errorf("ds %s is in the future (today is %s in %s); a snapshot taken now can only be today's or an earlier night's", ds, today, j.Config.Location)
	}
	return nil
}

// sourceGroup is the tables of one source, read in one snapshot.
type sourceGroup struct {
	tables []TableConfig
}

func bySource(tables []TableConfig) []sourceGroup {
	var groups []sourceGroup
	index := map[string]int{}
	for _, t := range tables {
		i, ok := index[t.Source]
		if !ok {
			i = len(groups)
			index[t.Source] = i
			groups = append(groups, sourceGroup{})
		}
		groups[i].tables = append(groups[i].tables, t)
	}
	return groups
}

// runSource imports the tables of one source in one consistent snapshot.
func (j *Job) runSource(ctx context.Context, log *slog.Logger, runID, ds string, g sourceGroup) []TableResult {
	var results []TableResult
	var todo []TableConfig
	for _, t := range g.tables {
		j.sweep(ctx, log, t)
		key := partitions.Key{Schema: t.Schema, Table: t.Name, DS: ds}
		m, err := partitions.ReadManifest(ctx, j.Store, key)
		switch {
		case err == nil:
			log.Info("already committed, nothing to do", "table", t.Schema+"."+t.Name, "by_run", m.RunID)
			results = append(results, TableResult{Table: t.Schema + "." + t.Name, DS: ds, Status: StatusSkipped,
				Rows: m.Rows.Written, Bytes: m.Bytes(), Files: len(m.Files),
				Message: "already committed by run " + m.RunID})
		case errors.Is(err, partitions.ErrNotCommitted):
			todo = append(todo, t)
		default:
			results = append(results, failed(t, ds, 0, err))
		}
	}
	if len(todo) == 0 {
		return results
	}
	sc := j.Config.Sources[g.tables[0].Source]
	src, err := OpenSource(ctx, sc)
	if err != nil {
		for _, t := range todo {
			results = append(results, failed(t, ds, 0, err))
		}
		return results
	}
	defer src.Close()
	snap, err := src.Snapshot(ctx)
	if err != nil {
		err = fmt.Errorf("source %s: begin snapshot: %w", sc.Name, err)
		for _, t := range todo {
			results = append(results, failed(t, ds, 0, err))
		}
		return results
	}
	defer snap.Close()
	snapshotAt := j.now().UTC()
	for _, t := range todo {
		results = append(results, j.importTable(ctx, log, snap, sc, t, runID, ds, snapshotAt))
	}
	return results
}

// sweep removes what crashed runs left of attempts at t, whether or not
// tonight's partition is already committed.
func (j *Job) sweep(ctx context.Context, log *slog.Logger, t TableConfig) {
	removed, err := partitions.Sweep(ctx, j.Store, t.Schema, t.Name, j.now())
	if err != nil {
		log.Warn("could not sweep leftover attempts; the next run will try again", "table", t.Schema+"."+t.Name, "err", err)
	} else if len(removed) > 0 {
		log.Info("removed leftovers of crashed runs", "table", t.Schema+"."+t.Name, "attempts", removed)
	}
}

func failed(t TableConfig, ds string, secs float64, err error) TableResult {
	return TableResult{Table: t.Schema + "." + t.Name, DS: ds, Status: StatusFailed, Seconds: secs, Message: err.Error()}
}

// importTable writes one partition: read the table in
// the snapshot into Parquet files of a new attempt, verify them, commit.
func (j *Job) importTable(ctx context.Context, log *slog.Logger, snap loaders.Snapshot, sc SourceConfig, t TableConfig,
	runID, ds string, snapshotAt time.Time) TableResult {
	start := j.now()
	name := t.Schema + "." + t.Name
	log = log.With("table", name)
	key := partitions.Key{Schema: t.Schema, Table: t.Name, DS: ds}
	m, err := j.writePartition(ctx, log, snap, sc, t, key, runID, snapshotAt)
	secs := j.now().Sub(start).Seconds()
	switch {
	case errors.Is(err, partitions.ErrCommittedByOther):
		log.Info("partition was committed by another run meanwhile; this run's files were removed")
		return TableResult{Table: name, DS: ds, Status: StatusSkipped, Seconds: secs, Message: "committed by another run while this run was writing"}
	case err != nil:
		log.Error("table failed; its latest partition stays as it was", "err", err)
		return failed(t, ds, secs, err)
	}
	log.Info("committed", "rows", m.Rows.Written, "bytes", m.Bytes(), "files", len(m.Files), "seconds", secs)
	return TableResult{Table: name, DS: ds, Status: StatusCommitted, Rows: m.Rows.Written, Bytes: m.Bytes(), Files: len(m.Files), Seconds: secs}
}

func (j *Job) writePartition(ctx context.Context, log *slog.Logger, snap loaders.Snapshot, sc SourceConfig, t TableConfig,
	key partitions.Key, runID string, snapshotAt time.Time) (*partitions.Manifest, error) {
	started := j.now().UTC()
	q := loaders.Query{Name: key.Schema + "." + key.Table, Table: t.Table, SQL: t.Query}
	count, err := snap.Count(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count rows of %s: %w", q.Describe(), err)
	}
	attempt, err := partitions.Begin(ctx, j.Store, key, runID)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			if err := attempt.Abort(context.WithoutCancel(ctx)); err != nil {
				log.Warn("could not remove this run's attempt; a later run will sweep it", "err", err)
			}
		}
	}()
	w := parquetfile.NewWriter(j.parquetOptions(), func(seq int) (string, parquetfile.Destination, error) {
		return attempt.Create(ctx, seq)
	})
	defer w.Abort()
	sink := &schemaSink{RecordSink: w}
	if err := snap.Read(ctx, q, loaders.ReadOptions{}, sink); err != nil {
		return nil, fmt.Errorf("read %s: %w", q.Describe(), err)
	}
	files, err := w.Close()
	if err != nil {
		return nil, fmt.Errorf("write parquet: %w", err)
	}
	m := &partitions.Manifest{
		Schema: key.Schema, Table: key.Table, DS: key.DS, Mode: "full",
		RunID: runID, ToolVersion: Version(),
		Source:     partitions.Source{Name: sc.Name, Driver: sc.Driver, Query: q.Describe()},
		SnapshotAt: snapshotAt, StartedAt: started,
	}
	m.Rows.Source = count
	for _, f := range files {
		if err := j.verify(ctx, attempt, f, sink.schema); err != nil {
			return nil, err
		}
		m.Files = append(m.Files, partitions.File{Name: f.Name, Rows: f.Rows, Bytes: f.Bytes, SHA256: f.SHA256})
		m.Rows.Written += f.Rows
	}
	for _, c := range sink.cols {
		m.Columns = append(m.Columns, partitions.Column{Name: c.Name, Type: c.Arrow.String(), SourceType: c.SourceType})
	}
	if err := m.SetSchema(sink.schema); err != nil {
		return nil, err
	}
	m.FinishedAt = j.now().UTC()
	if err := attempt.Commit(ctx, m); err != nil {
		return nil, err
	}
	committed = true
	return m, nil
}

// verify reads a written file back with an independent Parquet reader and
// checks its row count and columns, before anything is committed.
func (j *Job) verify(ctx context.Context, a *partitions.Attempt, f parquetfile.File, schema *arrow.Schema) error {
	obj, err := a.Open(ctx, f.Name)
	if err != nil {
		return fmt.Errorf("verify %s: %w", f.Name, err)
	}
	defer obj.Close()
	rows, err := parquetfile.Verify(obj, obj.Size(), schema)
	if err != nil {
		return fmt.Errorf("verify %s: %w", f.Name, err)
	}
	if rows != f.Rows {
		return fmt.Errorf("verify %s: file holds %d rows, writer counted %d", f.Name, rows, f.Rows)
	}
	return nil
}

func (j *Job) parquetOptions() parquetfile.Options {
	p := j.Config.Parquet
	return parquetfile.Options{Compression: p.Compression, RowGroupBytes: int64(p.RowGroupSize), FileBytes: int64(p.FileSize)}.WithDefaults()
}

// schemaSink remembers the schema a Read announced.
type schemaSink struct {
	loaders.RecordSink
	schema *arrow.Schema
	cols   []loaders.Column
}

func (s *schemaSink) Begin(schema *arrow.Schema, cols []loaders.Column) error {
	s.schema, s.cols = schema, cols
	return s.RecordSink.Begin(schema, cols)
}

// Sync brings every configured cluster up to date from the warehouse alone.
func (j *Job) Sync(ctx context.Context) []ClusterResult {
	return j.syncClusters(ctx, j.Log)
}

func (j *Job) syncClusters(ctx context.Context, log *slog.Logger) []ClusterResult {
	clusters := j.clusters()
	parts, err := partitions.List(ctx, j.Store, "")
	if err != nil {
		var out []ClusterResult
		for _, c := range clusters {
			out = append(out, ClusterResult{Cluster: c.Name(), Status: "failed", Message: "list warehouse: " + err.Error()})
		}
		return out
	}
	tables, errs := views.Tables(parts, j.Store.Location)
	for _, err := range errs {
		log.Error("table left as it was on every cluster", "err", err)
	}
	var out []ClusterResult
	for _, r := range views.SyncAll(ctx, log, clusters, tables) {
		cr := ClusterResult{Cluster: r.Cluster, Status: "ok", Seconds: r.Elapsed.Seconds()}
		if r.Err != nil {
			cr.Status, cr.Message = "failed", r.Err.Error()
		} else if len(errs) > 0 {
			cr.Status, cr.Message = "failed", errors.Join(errs...).Error()
		}
		out = append(out, cr)
	}
	return out
}
