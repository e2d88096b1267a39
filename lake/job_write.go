package lake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/parquetfile"
	"github.com/lake-engine/lake/partitions"
)

// writePartition makes and commits one partition: in full, or, for an
// incremental table, as a tail import or a recent import (see plan).
func (j *Job) writePartition(ctx context.Context, log *slog.Logger, r *readers, sc SourceConfig, t TableConfig,
	key partitions.Key, runID string, snapshotAt time.Time, full bool) (*partitions.Manifest, error) {
	base := t.sourceQuery()
	p, err := j.plan(ctx, sc, t, key, base, full)
	if err != nil {
		return nil, err
	}
	if p.mode == partitions.ModeTail {
		log.Info("importing the tail", "reason", p.reason, "bound", p.bound.date)
	}
	rd := partReader{readers: r, log: log, split: planSplit(sc, t)}
	m, err := j.writeAttempt(ctx, log, rd, sc, key, runID, snapshotAt, base, p)
	var changed *columnsChangedError
	if errors.As(err, &changed) {
		// The carried tail files and tonight's recent files would disagree
		// on the columns; only a new tail import makes them agree again.
		p = j.tailPlan(t, key.DS, changed.Error())
		log.Info("importing the tail", "reason", p.reason, "bound", p.bound.date)
		m, err = j.writeAttempt(ctx, log, rd, sc, key, runID, snapshotAt, base, p)
	}
	return m, err
}

// columnsChangedError says the source's columns differ from those of the
// tail files a recent import would carry.
type columnsChangedError struct{ tailDS string }

func (e *columnsChangedError) Error() string {
	return "the source's columns changed since the tail import of ds=" + e.tailDS
}

// writeAttempt writes the partition of plan p into a new attempt, verifies
// it and commits it.
func (j *Job) writeAttempt(ctx context.Context, log *slog.Logger, rd partReader, sc SourceConfig,
	key partitions.Key, runID string, snapshotAt time.Time, base loaders.Query, p importPlan) (*partitions.Manifest, error) {
	started := j.now().UTC()
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
	m := &partitions.Manifest{
		Schema: key.Schema, Table: key.Table, DS: key.DS, Mode: p.mode,
		RunID: runID, ToolVersion: Version(),
		Source:     partitions.Source{Name: sc.Name, Driver: sc.Driver, Query: base.Describe()},
		SnapshotAt: snapshotAt, StartedAt: started,
	}

	rd.attempt, rd.seq = attempt, new(atomic.Int64)
	var parts []part
	switch p.mode {
	case partitions.ModeFull:
		pt, err := j.readPart(ctx, rd, base, "")
		if err != nil {
			return nil, err
		}
		parts = append(parts, pt)
	case partitions.ModeTail:
		tail, err := j.readPart(ctx, rd, p.bound.query(base, loaders.Tail), partitions.RoleTail)
		if err != nil {
			return nil, err
		}
		recent, err := j.readPart(ctx, rd, p.bound.query(base, loaders.Recent), partitions.RoleRecent)
		if err != nil {
			return nil, err
		}
		if !tail.schema.Equal(recent.schema) {
			return nil, fmt.Errorf("read %s: the tail and recent rows came with different columns in one snapshot", base.Describe())
		}
		parts = append(parts, tail, recent)
		m.Incremental = p.bound.manifest(key.DS, p.reason)
		m.Rows.Tail = tail.written()
	case partitions.ModeRecent:
		recent, err := j.readPart(ctx, rd, p.bound.query(base, loaders.Recent), partitions.RoleRecent)
		if err != nil {
			return nil, err
		}
		tailSchema, err := p.tail.Manifest.DecodeSchema()
		if err != nil {
			return nil, err
		}
		if !tailSchema.Equal(recent.schema) {
			return nil, &columnsChangedError{tailDS: p.tail.Key.DS}
		}
		// Tail files first, as in the tail partition they come from.
		for _, f := range p.tail.Manifest.TailFiles() {
			if err := attempt.Carry(ctx, p.tail.Key, f.Name); err != nil {
				return nil, err
			}
			m.Files = append(m.Files, f)
			m.Rows.Carried += f.Rows
		}
		m.Rows.Tail = m.Rows.Carried
		parts = append(parts, recent)
		m.Incremental = p.bound.manifest(p.tail.Key.DS, "")
	}

	for _, pt := range parts {
		m.Source.Ranges = max(m.Source.Ranges, pt.ranges)
		m.Rows.Source += pt.count
		m.Rows.Written += pt.written()
		m.Files = append(m.Files, pt.files...)
	}
	last := parts[len(parts)-1]
	for _, c := range last.cols {
		m.Columns = append(m.Columns, partitions.Column{Name: c.Name, Type: c.Arrow.String(), SourceType: c.SourceType})
	}
	if err := m.SetSchema(last.schema); err != nil {
		return nil, err
	}
	m.FinishedAt = j.now().UTC()
	if err := attempt.Commit(ctx, m); err != nil {
		if errors.Is(err, partitions.ErrLeftovers) {
			committed = true
			return m, err
		}
		return nil, err
	}
	committed = true
	return m, nil
}

// part is what one Read of the source wrote into an attempt.
type part struct {
	files  []partitions.File
	count  int64 // the source's count of the query's rows in the snapshot
	schema *arrow.Schema
	cols   []loaders.Column
	// ranges is how many block ranges the rows were read in; 0 for one
	// read of the whole query.
	ranges int
}

func (p part) written() int64 {
	var n int64
	for _, f := range p.files {
		n += f.Rows
	}
	return n
}

// partReader is what readPart reads with and writes into for one attempt.
type partReader struct {
	readers *readers
	log     *slog.Logger
	// split says in how many block ranges to read the table.
	split   splitPlan
	attempt *partitions.Attempt
	// seq numbers the attempt's files, whichever range writes them.
	seq *atomic.Int64
}

// readPart counts and reads q in the snapshot into Parquet files of the
// attempt, given role, and verifies them. The count and, for a split
// table, each block range are read by a reader of their own, at once when
// readers are free. The rows written must equal the source's count of q.
func (j *Job) readPart(ctx context.Context, rd partReader, q loaders.Query, role string) (part, error) {
	ranges, whyNot, err := rd.readers.split(ctx, q, rd.split)
	if err != nil {
		return part{}, err
	}
	chunks := newChunkQueue(ranges)
	switch {
	case whyNot != "" && rd.split.auto:
		// No split: in lake.yaml: ranges were only tried, and a small
		// table or a SELECT read whole is what is expected.
		rd.log.Debug("reading the table whole, not in ranges", "reason", whyNot)
	case whyNot != "":
		rd.log.Warn("reading the table whole, not in ranges", "split", rd.split.ranges, "reason", whyNot)
	}

	// The source's count of q: the sum of what the server says it sent
	// for each range, or a count(*) of its own, beside the reads.
	_, selfCounted := rd.readers.all[0].(loaders.CountingReader)
	var (
		count int64
		reads = make([]rangeRead, len(ranges))
		errs  = make([]error, len(ranges)+1)
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	if !selfCounted {
		wg.Go(func() {
			errs[0] = rd.readers.use(ctx, func(s loaders.Snapshot) (err error) {
				count, err = s.Count(ctx, q)
				return err
			})
			if errs[0] != nil {
				errs[0] = fmt.Errorf("count rows of %s: %w", q.Describe(), errs[0])
				stop.Store(true)
			}
		})
	}
	var about []any
	if j.Progress > 0 {
		about = j.progressAbout(ctx, rd, q, role)
	}
	prog := startProgress(rd.log, j.Progress, j.now, about...)
	defer prog.end()
	for i := range ranges {
		wg.Go(func() {
			reads[i], errs[i+1] = j.readRange(ctx, rd, chunks, i, &stop, prog)
			if errs[i+1] != nil {
				stop.Store(true)
			}
		})
	}
	wg.Wait()
	prog.end()
	if err := firstError(errs); err != nil {
		return part{}, err
	}

	var p part
	if len(ranges) > 1 {
		p.ranges = len(ranges)
	}
	var files []parquetfile.File
	for _, r := range reads {
		if selfCounted {
			count += r.sent
		}
		switch {
		case r.schema == nil:
			// Its chunks were all taken by the other ranges' readers.
			continue
		case p.schema == nil:
			p.schema, p.cols = r.schema, r.cols
		case !r.schema.Equal(p.schema):
			return part{}, fmt.Errorf("read %s: %w", q.Describe(), errRangesDiffer)
		}
		files = append(files, r.files...)
	}
	if p.schema == nil {
		// Not expected: the first reader to come takes a chunk.
		return part{}, fmt.Errorf("read %s: no range read any of its chunks", q.Describe())
	}
	// Files in the order of their numbers, as one read would have made them.
	slices.SortFunc(files, func(a, b parquetfile.File) int { return strings.Compare(a.Name, b.Name) })
	for _, f := range files {
		if err := j.verify(ctx, rd.attempt, f, p.schema); err != nil {
			return part{}, err
		}
		p.files = append(p.files, partitions.File{Name: f.Name, Rows: f.Rows, Bytes: f.Bytes, SHA256: f.SHA256, Role: role})
	}
	p.count = count
	if n := p.written(); n != count {
		return part{}, fmt.Errorf("read %s: the source had %d rows in the snapshot but %d were written; not committed", q.Describe(), count, n)
	}
	return p, nil
}

// pipeDepth is how many batches may wait between a read and its Parquet
// encoding: enough to absorb the pause of a row group's compression.
const pipeDepth = 2

// rangeRead is what the read of one query (a whole table, or one of its
// block ranges) wrote.
type rangeRead struct {
	// sent is the source's count of the rows it sent (CountingReader).
	sent   int64
	files  []parquetfile.File
	schema *arrow.Schema
	cols   []loaders.Column
}

// readRange reads the chunks of range i with a reader of its own into new
// files of the attempt: its own chunks, then any other range's it can take
// (chunkQueue). Its Parquet writer exists only while it holds the reader,
// so the memory of a night is bounded by the workers' row groups.
func (j *Job) readRange(ctx context.Context, rd partReader, chunks *chunkQueue, i int, stop *atomic.Bool, prog *progress) (rangeRead, error) {
	var out rangeRead
	err := rd.readers.use(ctx, func(s loaders.Snapshot) error {
		started := time.Now()
		q, other, ok := chunks.next(i)
		if !ok || stop.Load() {
			// The other ranges' readers took every chunk while this one
			// waited for a connection: no files, not even empty ones.
			return nil
		}
		w := parquetfile.NewWriter(j.parquetOptions(), func(int) (string, parquetfile.Destination, error) {
			return rd.attempt.Create(ctx, int(rd.seq.Add(1)-1))
		})
		defer w.Abort()
		// Encoding runs beside the read, so the source never waits for it.
		pipe := loaders.NewPipeSink(stoppableSink{RecordSink: w, stop: stop, progress: prog}, pipeDepth)
		sink := &chunkSink{RecordSink: pipe}
		var (
			err         error
			read, taken int
		)
		for ok && !stop.Load() {
			read++
			if other {
				taken++
			}
			if err = readChunk(ctx, s, q, sink, &out.sent); err != nil {
				break
			}
			q, other, ok = chunks.next(i)
		}
		if perr := pipe.Close(); err == nil && perr != nil {
			err = fmt.Errorf("write batch: %w", perr)
		}
		if err == nil && stop.Load() {
			err = errStopped
		}
		if err != nil {
			return err
		}
		files, err := w.Close()
		if err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
		out.files, out.schema, out.cols = files, sink.schema, sink.cols
		if chunks.split() {
			var rows int64
			for _, f := range files {
				rows += f.Rows
			}
			rd.log.Debug("range read", "range", i+1, "chunks", read, "taken_from_other_ranges", taken,
				"rows", rows, "seconds", time.Since(started).Seconds())
		}
		return nil
	})
	return out, err
}

// readChunk reads q on s into sink, adding the rows the source says it
// sent to sent.
func readChunk(ctx context.Context, s loaders.Snapshot, q loaders.Query, sink loaders.RecordSink, sent *int64) error {
	var err error
	if cr, ok := s.(loaders.CountingReader); ok {
		var n int64
		n, err = cr.ReadCounted(ctx, q, loaders.ReadOptions{}, sink)
		*sent += n
	} else {
		err = s.Read(ctx, q, loaders.ReadOptions{}, sink)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", q.Describe(), err)
	}
	return nil
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
