package loaders_test

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lake-engine/lake/loaders"
)

// WriteBatch writes what was appended, leaves the builders empty and, for
// a next batch, sized for its rows and for as many string bytes.
func TestWriteBatchWritesAndSizesTheNextBatch(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	for i := range 3 {
		rb.Field(0).(*array.Int64Builder).Append(int64(i))
		rb.Field(1).(*array.StringBuilder).Append("twelve bytes")
	}
	sink := &recordingSink{}
	if err := loaders.WriteBatch(rb, sink, 1000); err != nil {
		t.Fatal(err)
	}
	if len(sink.values) != 3 || sink.values[2] != 2 {
		t.Fatalf("sink got %v, want 0 1 2", sink.values)
	}
	notes := rb.Field(1).(*array.StringBuilder)
	if rb.Field(0).Len() != 0 || rb.Field(0).Cap() < 1000 || notes.Cap() < 1000 || notes.DataCap() < 36 {
		t.Errorf("builders: len %d, caps %d/%d, string bytes %d; want empty, 1000 rows and 36 bytes reserved",
			rb.Field(0).Len(), rb.Field(0).Cap(), notes.Cap(), notes.DataCap())
	}

	failing := &recordingSink{failAt: 1}
	rb.Field(0).(*array.Int64Builder).Append(7)
	rb.Field(1).(*array.StringBuilder).AppendNull()
	if err := loaders.WriteBatch(rb, failing, 0); !errors.Is(err, errFull) {
		t.Errorf("WriteBatch = %v, want the sink's error", err)
	}
}
