package loaders

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// WriteBatch hands the rows appended to rb so far to sink as one record
// batch. With next > 0 it then sizes rb's builders for a next batch of next
// rows and as many string bytes as this one had: builders otherwise start
// each batch empty and grow by doubling, copying their buffers several
// times per batch. Pass next = 0 after the last batch.
func WriteBatch(rb *array.RecordBuilder, sink RecordSink, next int) error {
	type data interface {
		DataLen() int
		ReserveData(int)
	}
	builders := rb.Fields()
	dataLens := make([]int, len(builders))
	for i, b := range builders {
		if d, ok := b.(data); ok {
			dataLens[i] = d.DataLen()
		}
	}
	rec := rb.NewRecordBatch()
	err := sink.Write(rec)
	rec.Release()
	if err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	if next > 0 {
		for i, b := range builders {
			b.Reserve(next)
			if d, ok := b.(data); ok {
				d.ReserveData(dataLens[i])
			}
		}
	}
	return nil
}
