package lake

import (
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"
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

// startProgress starts logging to log every interval, the first line one
// interval from now; an interval of 0 or less logs nothing. part names the
// role of the read in a tail import ("tail", "recent"); "" for a table
// read whole. end stops it.
func startProgress(log *slog.Logger, interval time.Duration, now func() time.Time, part string) *progress {
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
				if part != "" {
					attrs = append(attrs, "part", part)
				}
				log.Info("reading", attrs...)
			}
		}
	})
	return p
}

// add counts rows written; it is called by every range of the read.
func (p *progress) add(rows int64) { p.rows.Add(rows) }

// end stops the logging and waits for a line being written; it may be
// called more than once.
func (p *progress) end() {
	p.once.Do(func() { close(p.done) })
	p.wg.Wait()
}
