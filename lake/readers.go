package lake

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/loaders"
)

// readers is the connections that read one source tonight, all in one
// snapshot: the source's first snapshot and the ones joined to it
// (loaders.Joiner). Each is used by one goroutine at a time: take one with
// use. Tables, and ranges of split tables, queue for them, so a source is
// never read by more than sources.NAME.workers connections.
type readers struct {
	// all are the readers, the source's first snapshot first.
	all  []loaders.Snapshot
	free chan loaders.Snapshot
}

// openReaders begins a snapshot of src and joins n-1 more connections to
// it. A source whose snapshots cannot be shared gets one reader.
func openReaders(ctx context.Context, src loaders.Source, n int) (*readers, error) {
	first, err := src.Snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin snapshot: %w", err)
	}
	r := &readers{all: []loaders.Snapshot{first}}
	if joiner, ok := first.(loaders.Joiner); ok {
		for len(r.all) < n {
			s, err := joiner.Join(ctx)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("open reader %d of %d in the snapshot: %w (with workers: 1 the source is read by one connection)", len(r.all)+1, n, err)
			}
			r.all = append(r.all, s)
		}
	}
	r.free = make(chan loaders.Snapshot, len(r.all))
	for _, s := range r.all {
		r.free <- s
	}
	return r, nil
}

// use runs fn with a reader of its own, waiting for one to be free.
func (r *readers) use(ctx context.Context, fn func(loaders.Snapshot) error) error {
	select {
	case s := <-r.free:
		defer func() { r.free <- s }()
		return fn(s)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// splitPlan is how one table is read: in at most ranges block ranges, each
// of at least minBytes of its heap (0: any size), each read in chunks of
// at least chunkBytes. auto says lake chose it, lake.yaml giving no split:
// for the table.
type splitPlan struct {
	ranges     int
	minBytes   int64
	chunkBytes int64
	auto       bool
}

// planSplit is the splitPlan of table t of source sc: split: N is N ranges
// (1: whole); without split:, a table of a postgres source with several
// workers is read in up to that many ranges of at least split_size, so
// that one big table uses the connections the source was given; any other
// table is read whole.
func planSplit(sc SourceConfig, t TableConfig) splitPlan {
	chunk := cmp.Or(sc.ChunkSize, DefaultChunkSize)
	switch {
	case t.Split > 0:
		return splitPlan{ranges: int(t.Split), chunkBytes: int64(chunk)}
	case sc.Workers > 1 && sc.Driver == "postgres" && t.Query == "":
		size := cmp.Or(sc.SplitSize, DefaultSplitSize)
		return splitPlan{ranges: int(sc.Workers), minBytes: int64(size), chunkBytes: int64(chunk), auto: true}
	}
	return splitPlan{ranges: 1}
}

// split divides q as plan says into ranges, each the chunks it is read
// in, or returns q alone and why not.
func (r *readers) split(ctx context.Context, q loaders.Query, plan splitPlan) (ranges [][]loaders.Query, whyNot string, err error) {
	whole := [][]loaders.Query{{q}}
	if plan.ranges < 2 {
		return whole, "", nil
	}
	err = r.use(ctx, func(s loaders.Snapshot) error {
		sp, ok := s.(loaders.Splitter)
		if !ok {
			ranges, whyNot = whole, "this source cannot split tables"
			return nil
		}
		ranges, whyNot, err = sp.Split(ctx, q, loaders.SplitOptions{
			Ranges: plan.ranges, MinRangeBytes: plan.minBytes, ChunkBytes: plan.chunkBytes,
		})
		return err
	})
	return ranges, whyNot, err
}

// Close ends every reader, the first (which joined ones imported their
// snapshot from) last.
func (r *readers) Close() error {
	var errs []error
	for i := len(r.all) - 1; i >= 0; i-- {
		errs = append(errs, r.all[i].Close())
	}
	return errors.Join(errs...)
}

// errStopped is what a range's sink returns once another range of the
// same read failed: the loader then stops its read the way it stops on a
// bad value (PostgreSQL: a cancel request and a rollback to a savepoint),
// which keeps the reader's connection and snapshot usable. Cancelling a
// context instead would make the driver drop the connection.
var errStopped = errors.New("stopped: another range of the same read failed")

// stoppableSink fails its writes once stop is set, and counts the rows it
// has written into progress.
type stoppableSink struct {
	loaders.RecordSink
	stop     *atomic.Bool
	progress *progress
}

func (s stoppableSink) Write(rec arrow.RecordBatch) error {
	if s.stop.Load() {
		return errStopped
	}
	if err := s.RecordSink.Write(rec); err != nil {
		return err
	}
	s.progress.add(rec.NumRows())
	return nil
}

// firstError is the first error of errs that is not errStopped: the cause.
func firstError(errs []error) error {
	var stopped error
	for _, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, errStopped):
			stopped = err
		default:
			return err
		}
	}
	return stopped
}
