package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lake-engine/lake/loaders"
)

// heldBatches keeps each batch until held more have come after it, as a
// sink encoding beside the read does, and checks its values only then:
// a buffer the read reused while a batch still held it would show there.
type heldBatches struct {
	t     *testing.T
	held  int
	queue []arrow.RecordBatch
	next  int64 // the id the next checked row must have
}

func (s *heldBatches) Begin(*arrow.Schema, []loaders.Column) error { return nil }

func (s *heldBatches) Write(rec arrow.RecordBatch) error {
	rec.Retain()
	s.queue = append(s.queue, rec)
	for len(s.queue) > s.held {
		s.check(s.queue[0])
		s.queue = s.queue[1:]
	}
	return nil
}

func (s *heldBatches) drain() {
	for _, rec := range s.queue {
		s.check(rec)
	}
	s.queue = nil
}

// check compares a batch with the rows it must hold, then releases it.
func (s *heldBatches) check(rec arrow.RecordBatch) {
	defer rec.Release()
	ids := rec.Column(0).(*array.Int64)
	names := rec.Column(1).(*array.String)
	days := rec.Column(2).(*array.Date32)
	for i := range int(rec.NumRows()) {
		id := s.next
		s.next++
		if ids.Value(i) != id || names.Value(i) != fmt.Sprintf("name %d", id) || days.Value(i) != arrow.Date32(id%1000) {
			s.t.Fatalf("row %d reads (%d, %q, %d): a buffer was reused while a batch held it",
				id, ids.Value(i), names.Value(i), days.Value(i))
		}
	}
}

// The decoder reuses a column's buffers once the sink has released the
// batch that held them (recycle.go), and not before: batches held across
// several later ones keep their values.
func TestBatchBuffersAreReusedOnlyOnceReleased(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, `CREATE TABLE t AS SELECT i::bigint AS id, 'name ' || i AS name, DATE '1970-01-01' + i % 1000 AS day
		FROM generate_series(0, 49999) AS i`)
	snap := snapshot(t, openSource(t, dsn))
	for _, held := range []int{0, 1, 3, 6} {
		sink := &heldBatches{t: t, held: held}
		q := loaders.Query{Name: "t", SQL: "SELECT id, name, day FROM t ORDER BY id"}
		if err := snap.Read(context.Background(), q, loaders.ReadOptions{BatchRows: 1000}, sink); err != nil {
			t.Fatal(err)
		}
		sink.drain()
		if sink.next != 50000 {
			t.Errorf("held %d: %d rows checked, want 50000", held, sink.next)
		}
	}
}
