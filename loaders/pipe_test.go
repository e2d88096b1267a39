package loaders_test

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lake-engine/lake/loaders"
)

// recordingSink keeps the values of column 0 of every batch, and fails
// from batch failAt on (0: never).
type recordingSink struct {
	began  bool
	values []int64
	failAt int
	writes atomic.Int32
}

var errFull = errors.New("disk full")

func (s *recordingSink) Begin(*arrow.Schema, []loaders.Column) error { s.began = true; return nil }

func (s *recordingSink) Write(rec arrow.RecordBatch) error {
	if n := int(s.writes.Add(1)); s.failAt > 0 && n >= s.failAt {
		return errFull
	}
	col := rec.Column(0).(*array.Int64)
	s.values = append(s.values, col.Int64Values()...)
	return nil
}

var pipeSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)

// batch makes a batch of the values from..to-1; the caller releases it.
func batch(mem memory.Allocator, from, to int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, pipeSchema)
	defer b.Release()
	for v := from; v < to; v++ {
		b.Field(0).(*array.Int64Builder).Append(v)
	}
	return b.NewRecordBatch()
}

func TestPipeSinkWritesEveryBatchInOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	inner := &recordingSink{}
	pipe := loaders.NewPipeSink(inner, 2)
	if err := pipe.Begin(pipeSchema, nil); err != nil {
		t.Fatal(err)
	}
	for i := range int64(50) {
		rec := batch(mem, i*10, i*10+10)
		// The reader releases its batch as soon as Write returns.
		err := pipe.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := pipe.Close(); err != nil {
		t.Fatal(err)
	}
	if !inner.began || len(inner.values) != 500 {
		t.Fatalf("inner sink began %v, got %d values, want 500", inner.began, len(inner.values))
	}
	for i, v := range inner.values {
		if v != int64(i) {
			t.Fatalf("value %d is %d: batches out of order or reused", i, v)
		}
	}
	if err := pipe.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPipeSinkReturnsTheInnerSinksError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	inner := &recordingSink{failAt: 3}
	pipe := loaders.NewPipeSink(inner, 1)
	if err := pipe.Begin(pipeSchema, nil); err != nil {
		t.Fatal(err)
	}
	var writeErr error
	for i := range int64(100) {
		rec := batch(mem, i, i+1)
		writeErr = pipe.Write(rec)
		rec.Release()
		if writeErr != nil {
			break
		}
	}
	if !errors.Is(writeErr, errFull) {
		t.Errorf("Write after the inner sink failed: %v, want %v", writeErr, errFull)
	}
	if err := pipe.Close(); !errors.Is(err, errFull) {
		t.Errorf("Close: %v, want %v", err, errFull)
	}
	if n := inner.writes.Load(); n != 3 {
		t.Errorf("the inner sink got %d writes; want none after its failure", n)
	}
}
