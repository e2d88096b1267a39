package lake

import (
	"errors"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/loaders"
)

// chunkQueue hands out the chunks of a split table to the readers of its
// ranges. A range is not read by one COPY but by one per chunk, so that a
// connection done early can take over chunks of a slower one: with fixed
// halves, the connection the server gave less CPU kept the table waiting
// alone (orders 10M on two cores: the two ranges' last files were written
// up to 1.7 s apart in a 7 s run; in chunks of 32 MiB, at most 0.22 s).
//
// Each range's reader takes its own chunks front to back, so its files
// hold neighbouring pages and their min/max statistics stay narrow; a
// reader whose range is done takes the last chunk of the range with the
// most chunks left.
type chunkQueue struct {
	mu     sync.Mutex
	ranges [][]loaders.Query
}

// newChunkQueue queues the chunks of each range, as Split made them.
func newChunkQueue(ranges [][]loaders.Query) *chunkQueue {
	return &chunkQueue{ranges: slices.Clone(ranges)}
}

// next returns the next chunk for the reader of range i, whether it was
// taken from another range, and false when none is left.
func (q *chunkQueue) next(i int) (chunk loaders.Query, taken, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if own := q.ranges[i]; len(own) > 0 {
		q.ranges[i] = own[1:]
		return own[0], false, true
	}
	most := -1
	for j, r := range q.ranges {
		if len(r) > 0 && (most < 0 || len(r) > len(q.ranges[most])) {
			most = j
		}
	}
	if most < 0 {
		return loaders.Query{}, false, false
	}
	r := q.ranges[most]
	q.ranges[most] = r[:len(r)-1]
	return r[len(r)-1], true, true
}

// split says whether the queue serves more than one range.
func (q *chunkQueue) split() bool { return len(q.ranges) > 1 }

// errRangesDiffer says two reads of one table's ranges or chunks were
// described with different columns: the table was altered while it was
// read.
var errRangesDiffer = errors.New("two block ranges came with different columns in one snapshot (the table was altered during the read); run it again")

// chunkSink is the sink of one range's reader: every chunk's Read begins
// it again, and only the first Begin goes through; the others must bring
// the same columns.
type chunkSink struct {
	loaders.RecordSink
	schema *arrow.Schema
	cols   []loaders.Column
}

func (s *chunkSink) Begin(schema *arrow.Schema, cols []loaders.Column) error {
	if s.schema != nil {
		if !schema.Equal(s.schema) {
			return errRangesDiffer
		}
		return nil
	}
	s.schema, s.cols = schema, cols
	return s.RecordSink.Begin(schema, cols)
}
