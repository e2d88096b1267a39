package loaders

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// WriteBatch hands the rows appended to rb so far to sink as one record
// batch. With next > 0 it sizes rb's builders for a next batch (NextArray).
// Pass next = 0 after the last batch.
func WriteBatch(rb *array.RecordBuilder, sink RecordSink, next int) error {
	builders := rb.Fields()
	arrays := make([]arrow.Array, len(builders))
	rows := 0
	for i, b := range builders {
		arrays[i] = NextArray(b, next)
		rows = arrays[i].Len()
	}
	rec := array.NewRecordBatch(rb.Schema(), arrays, int64(rows))
	for _, a := range arrays {
		a.Release()
	}
	err := sink.Write(rec)
	rec.Release()
	if err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	return nil
}

// NextArray returns the values appended to b as an array and, with next >
// 0, sizes b for a next batch of next values and as many string bytes as
// this one had: builders otherwise start each batch empty and grow by
// doubling, copying their buffers several times per batch.
func NextArray(b array.Builder, next int) arrow.Array {
	type data interface {
		DataLen() int
		ReserveData(int)
	}
	d, hasData := b.(data)
	dataLen := 0
	if hasData {
		dataLen = d.DataLen()
	}
	arr := b.NewArray()
	if next > 0 {
		b.Reserve(next)
		if hasData {
			d.ReserveData(dataLen)
		}
	}
	return arr
}

// ValueBytes is what a value scanned from a database/sql driver counts
// towards ReadOptions.BatchBytes: the length of a string or byte slice, 8
// for anything else (numbers, times).
func ValueBytes(v any) int {
	switch v := v.(type) {
	case []byte:
		return len(v)
	case string:
		return len(v)
	}
	return 8
}
