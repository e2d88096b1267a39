package lake

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/partitions"
)

// progress logs, every interval while one read of a table runs, the rows
// its ranges have handed to their Parquet writers so far. Between a run's
// "run started" and a big table's "committed" an hour may pass: these
// lines show that the read is moving, how fast, and, when a run is
// killed, how far it got.
type progress struct {
	rows atomic.Int64
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

// previousRead is what the newest earlier partition of a table read for
// the same part: the progress lines show it beside tonight's rows, as an
// idea of how far tonight's read has come.
type previousRead struct {
	ds   string
	rows int64
}

// startProgress starts logging to log every interval, the first line one
// interval from now, with the rows so far, the seconds since the start and
// their ratio, then the attributes of about (what the read is, what to
// compare it with); an interval of 0 or less logs nothing. end stops it.
func startProgress(log *slog.Logger, interval time.Duration, now func() time.Time, about ...any) *progress {
	p := &progress{done: make(chan struct{})}
	if interval <= 0 {
		return p
	}
	start := now()
	p.wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-tick.C:
				rows := p.rows.Load()
				secs := now().Sub(start).Seconds()
				attrs := []any{"rows", rows, "seconds", math.Round(secs*10) / 10}
				if secs > 0 {
					attrs = append(attrs, "rows_per_second", int64(float64(rows)/secs))
				}
				log.Info("reading", append(attrs, about...)...)
			}
		}
	})
	return p
}

// progressAbout is what the progress lines of one read of q say besides
// its rows: the part of a tail import it is (role "tail" or "recent"),
// what the newest earlier partition read for that part, and the source's
// estimate of the table's rows (loaders.RowEstimator), looked up now with
// one of the readers. It never fails: what cannot be known is left out,
// and why is logged at debug.
func (j *Job) progressAbout(ctx context.Context, rd partReader, q loaders.Query, role string) []any {
	var about []any
	if role != "" {
		about = append(about, "part", role)
	}
	if prev, ok := j.previousRead(ctx, rd.log, rd.attempt.Key(), role); ok {
		about = append(about, "previous_rows", prev.rows, "previous_ds", prev.ds)
	}
	var (
		estimate int64
		known    bool
	)
	err := rd.readers.use(ctx, func(s loaders.Snapshot) (err error) {
		estimate, known, err = estimateRows(ctx, s, q)
		return err
	})
	switch {
	case err != nil:
		rd.log.Debug("no estimate of the table's rows for the progress lines", "err", err)
	case known:
		about = append(about, "table_rows_estimate", estimate)
	}
	return about
}

// estimateRows is the source's estimate of the rows of q's table, if its
// snapshot keeps one (loaders.RowEstimator); ok is false otherwise.
func estimateRows(ctx context.Context, s loaders.Snapshot, q loaders.Query) (rows int64, ok bool, err error) {
	e, isEstimator := s.(loaders.RowEstimator)
	if !isEstimator {
		return 0, false, nil
	}
	return e.EstimateRows(ctx, q)
}

// add counts rows written; it is called by every range of the read.
func (p *progress) add(rows int64) { p.rows.Add(rows) }

// end stops the logging and waits for a line being written; it may be
// called more than once.
func (p *progress) end() {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}

// previousRead is what the newest partition before key's ds read for the
// part role names: for a table read whole ("") all its rows; for the rows
// after the boundary ("recent") those of the newest incremental partition;
// for the tail ("tail") those of the newest tail import. ok is false when
// there is none, or when it cannot be read (logged at debug): progress
// lines never fail a table.
func (j *Job) previousRead(ctx context.Context, log *slog.Logger, key partitions.Key, role string) (prev previousRead, ok bool) {
	latest := partitions.Latest
	if role == partitions.RoleTail {
		latest = partitions.LatestTail
	}
	p, err := latest(ctx, j.Store, key.Schema, key.Table, key.DS)
	if err != nil {
		log.Debug("no previous rows for the progress lines", "err", err)
		return prev, false
	}
	if p == nil {
		return prev, false
	}
	m := p.Manifest
	switch role {
	case "":
		return previousRead{ds: p.Key.DS, rows: m.TotalRows()}, true
	case partitions.RoleRecent:
		if m.Mode == partitions.ModeFull {
			return prev, false // no boundary to compare with
		}
		return previousRead{ds: p.Key.DS, rows: m.TotalRows() - m.Rows.Tail}, true
	default:
		return previousRead{ds: p.Key.DS, rows: m.Rows.Tail}, true
	}
}
