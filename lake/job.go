package lake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
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
	// Progress is how often a table being read logs a "reading" line with
	// its rows so far; 0 logs none (`lake run` sets its --progress).
	Progress time.Duration
}

// RunOptions select what one run does.
type RunOptions struct {
	// DS is the partition date; empty means today in the config's time zone.
	DS string
	// Tables limits the run to these table names; empty means all.
	Tables []string
	// Full forces a tail import (every row read from the source) for the
	// incremental tables of the run, whatever the day.
	Full bool
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
	if cfg.IsS3() {
		return openS3(cfg)
	}
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
		rep.Tables = append(rep.Tables, j.runSource(ctx, log, rep.RunID, ds, opts.Full, group)...)
	}
	sortResults(rep.Tables)

	// Clusters are synced even when every table failed or was skipped: a
	// cluster that missed an earlier night is caught up by this one; and
	// even when the run was stopped, briefly, so that the tables committed
	// before the stop are not left out of the views until the next night.
	syncCtx := ctx
	if ctx.Err() != nil {
		log.Warn("the run was stopped; bringing the clusters up to date with what was committed before the stop", "within", StopGrace.String(), "cause", context.Cause(ctx))
		var cancel context.CancelFunc
		syncCtx, cancel = context.WithTimeoutCause(context.WithoutCancel(ctx), StopGrace,
			fmt.Errorf("%v, and the %s given to the clusters after it ran out", context.Cause(ctx), StopGrace))
		defer cancel()
	}
	rep.Clusters = j.syncClusters(syncCtx, log, "")
	rep.Finished = j.now().UTC()
	if err := rep.save(context.WithoutCancel(ctx), j.Store); err != nil {
		log.Error("could not save the run report", "err", err)
	}
	log.Info("run finished", "seconds", rep.Finished.Sub(rep.Started).Seconds(), "failed", len(rep.Failures()))
	return rep, nil
}

// StopGrace is how long a stopped run still spends bringing the clusters
// up to date with the tables it committed before the stop: a deploy or a
// cron job's timeout should not hide them until the next night. A sync
// cut off by it is caught up by the next run or lake sync.
const StopGrace = 30 * time.Second

// CheckDS says whether a run now may snapshot ds: not a ds in the future
// (a snapshot taken now cannot be the data of a night that has not
// happened), nor one more than max_ds_age days in the past (it cannot stand
// for a night long gone either).
func (j *Job) CheckDS(ds string) error { return j.checkDS(ds, j.now()) }

func (j *Job) checkDS(ds string, now time.Time) error {
	d, err := ParseDS(ds)
	if err != nil {
		return err
	}
	today := j.Config.Today(now)
	if d.Format(partitions.DateLayout) > today {
		return fmt.Errorf("ds %s is in the future (today is %s in %s); a snapshot taken now can only be today's or an earlier night's", ds, today, j.Config.Location)
	}
	t, _ := ParseDS(today)
	if age := int(t.Sub(d).Hours() / 24); age > int(j.Config.MaxDSAge) {
		return fmt.Errorf("ds %s is %d days before today (%s in %s): a snapshot taken now cannot stand for a night that long gone; "+
			"lake run accepts a ds at most max_ds_age (%s) in the past; raise max_ds_age in the config to re-run that night anyway",
			ds, age, today, j.Config.Location, j.Config.MaxDSAge)
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
func (j *Job) runSource(ctx context.Context, log *slog.Logger, runID, ds string, full bool, g sourceGroup) []TableResult {
	var results []TableResult
	var todo []TableConfig
	for _, t := range g.tables {
		j.sweep(ctx, log, t)
		key := partitions.Key{Schema: t.Schema, Table: t.Name, DS: ds}
		m, err := partitions.ReadManifest(ctx, j.Store, key)
		switch {
		case err == nil:
			log.Info("already committed, nothing to do", "table", t.Schema+"."+t.Name, "by_run", m.RunID)
			results = append(results, TableResult{Table: t.Schema + "." + t.Name, DS: ds, Status: StatusSkipped, Mode: m.Mode,
				Rows: m.TotalRows(), Bytes: m.Bytes(), Files: len(m.Files),
				Message: "already committed by run " + m.RunID})
		case errors.Is(err, partitions.ErrNotCommitted):
			todo = append(todo, t)
		default:
			results = append(results, failed(t, ds, 0, whyStopped(ctx, err)))
		}
	}
	if len(todo) == 0 {
		return results
	}
	sc := j.Config.Sources[g.tables[0].Source]
	src, err := OpenSource(ctx, sc)
	if err != nil {
		for _, t := range todo {
			results = append(results, failed(t, ds, 0, whyStopped(ctx, err)))
		}
		return results
	}
	defer src.Close()
	r, err := openReaders(ctx, src, readerCount(sc, todo))
	if err != nil {
		err = fmt.Errorf("source %s: %w", sc.Name, err)
		for _, t := range todo {
			results = append(results, failed(t, ds, 0, whyStopped(ctx, err)))
		}
		return results
	}
	defer r.Close()
	snapshotAt := j.now().UTC()
	// Tables are imported len(r.all) at a time; their counts and ranges
	// queue for the readers, so no table holds a reader while it waits for
	// another, and the source never sees more connections than workers.
	imported := make([]TableResult, len(todo))
	sem := make(chan struct{}, len(r.all))
	var wg sync.WaitGroup
	for i, t := range todo {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			imported[i] = j.importTable(ctx, log, r, sc, t, runID, ds, snapshotAt, full)
		})
	}
	wg.Wait()
	return append(results, imported...)
}

// readerCount is how many connections read sc tonight: its workers, but no
// more than the reads there can be to share them (a table, or each range
// of a table read in ranges).
func readerCount(sc SourceConfig, todo []TableConfig) int {
	reads := 0
	for _, t := range todo {
		reads += planSplit(sc, t).ranges
	}
	return max(1, min(int(sc.Workers), reads))
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

// whyStopped adds to err, once ctx is done, that the run was stopped and,
// when the context knows, why: a table cut off by a cron job's timeout or
// a deploy's SIGTERM says "terminated signal received", not only "context
// canceled" somewhere down in a driver's error.
func whyStopped(ctx context.Context, err error) error {
	if ctx.Err() == nil {
		return err
	}
	if cause := context.Cause(ctx); cause != ctx.Err() {
		return fmt.Errorf("%w (the run was stopped: %v)", err, cause)
	}
	return fmt.Errorf("%w (the run was stopped)", err)
}

// importTable writes one partition: read the table in
// the snapshot into Parquet files of a new attempt, verify them, commit.
func (j *Job) importTable(ctx context.Context, log *slog.Logger, r *readers, sc SourceConfig, t TableConfig,
	runID, ds string, snapshotAt time.Time, full bool) TableResult {
	start := j.now()
	name := t.Schema + "." + t.Name
	log = log.With("table", name)
	key := partitions.Key{Schema: t.Schema, Table: t.Name, DS: ds}
	m, err := j.writePartition(ctx, log, r, sc, t, key, runID, snapshotAt, full)
	secs := j.now().Sub(start).Seconds()
	switch {
	case errors.Is(err, partitions.ErrCommittedByOther):
		log.Info("partition was committed by another run meanwhile; this run's files were removed")
		return TableResult{Table: name, DS: ds, Status: StatusSkipped, Seconds: secs, Message: "committed by another run while this run was writing"}
	case errors.Is(err, partitions.ErrLeftovers):
		// Committed and complete: report it so, with the warning.
		log.Warn("committed, but this run's leftovers could not be removed; a later run sweeps them", "err", err)
	case err != nil:
		err = whyStopped(ctx, err)
		log.Error("table failed; its latest partition stays as it was", "err", err)
		return failed(t, ds, secs, err)
	}
	message := ""
	if err != nil {
		message = err.Error()
	}
	log.Info("committed", "mode", m.Mode, "rows", m.TotalRows(), "rows_read", m.Rows.Written, "rows_carried", m.Rows.Carried,
		"bytes", m.Bytes(), "files", len(m.Files), "seconds", secs)
	return TableResult{Table: name, DS: ds, Status: StatusCommitted, Mode: m.Mode, Rows: m.TotalRows(), RowsRead: m.Rows.Written,
		Bytes: m.Bytes(), Files: len(m.Files), Seconds: secs, Message: message}
}

func (j *Job) parquetOptions() parquetfile.Options {
	p := j.Config.Parquet
	return parquetfile.Options{
		Compression: p.Compression, CompressionLevel: int(p.CompressionLevel),
		RowGroupBytes: int64(p.RowGroupSize), FileBytes: int64(p.FileSize), PageBytes: int64(p.PageSize),
	}.WithDefaults()
}

// Sync brings every configured cluster up to date from the warehouse alone.
func (j *Job) Sync(ctx context.Context) []ClusterResult {
	return j.syncClusters(ctx, j.Log, "")
}

// syncClusters syncs the cluster called only, or every one when only is "".
func (j *Job) syncClusters(ctx context.Context, log *slog.Logger, only string) []ClusterResult {
	clusters := j.clusters(only)
	defer closeClusters(clusters)
	parts, err := partitions.List(ctx, j.Store, "")
	if err != nil {
		var out []ClusterResult
		for _, c := range clusters {
			out = append(out, ClusterResult{Cluster: c.Name(), Status: "failed", Message: whyStopped(ctx, fmt.Errorf("list warehouse: %w", err)).Error()})
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
			cr.Status, cr.Message = "failed", whyStopped(ctx, r.Err).Error()
		} else if len(errs) > 0 {
			cr.Status, cr.Message = "failed", errors.Join(errs...).Error()
		}
		out = append(out, cr)
	}
	return out
}
