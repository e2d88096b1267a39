package parquetfile

import (
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// intDict and stringDict keep up with arrow-go's dictionary: after batches
// that bring new values (written through arrow-go, then learned), both
// dictionaries hold every distinct value of the row group, and the batches
// after them go as indices again. A dense key, a key too spread out for
// intDict's lookup table (a map) and a string are checked.
func TestDictionariesFollowNewValues(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "dense", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "spread", Type: &arrow.Decimal128Type{Precision: 18, Scale: 0}, Nullable: true},
		{Name: "word", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	props := parquet.NewWriterProperties(parquet.WithStoreDecimalAsInteger(true), parquet.WithStats(true))
	enc, err := newFileEncoder(schema, io.Discard, props, pqarrow.DefaultWriterProps(), 1)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[int64]bool{}
	for batch, vocab := range []int64{10, 10, 25, 25, 25, 60, 60} {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := range int64(300) {
			v := (i*7 + int64(batch)) % vocab
			if i%13 == 0 {
				b.Field(0).AppendNull()
				b.Field(1).AppendNull()
				b.Field(2).AppendNull()
				continue
			}
			distinct[v] = true
			b.Field(0).(*array.Int32Builder).Append(int32(v))
			b.Field(1).(*array.Decimal128Builder).Append(decimal128.FromI64(v * 1e12))
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("word %d", v))
		}
		rec := b.NewRecordBatch()
		b.Release()
		err := enc.write(rec)
		rec.Release()
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		for i, c := range enc.cols {
			cw, err := enc.rg.Column(i)
			if err != nil {
				t.Fatal(err)
			}
			var size int
			var lost, mapped bool
			switch d := c.dict.(type) {
			case *intDict[int32]:
				size, lost, mapped = len(d.dict), d.lost, d.index != nil
			case *intDict[int64]:
				size, lost, mapped = len(d.dict), d.lost, d.index != nil
			case *stringDict:
				size, lost = len(d.values), d.lost
			default:
				t.Fatalf("column %s: dictWriter %T", c.name, c.dict)
			}
			if lost || size != len(distinct) || cw.CurrentEncoder().(dictionaryEncoder).NumEntries() != size {
				t.Fatalf("batch %d, column %s: lake's dictionary has %d values (lost: %v), arrow-go %d, the row group %d",
					batch, c.name, size, lost, cw.CurrentEncoder().(dictionaryEncoder).NumEntries(), len(distinct))
			}
			if want := c.name == "spread"; mapped != want && c.name != "word" {
				t.Errorf("column %s: looked up in a map: %v, want %v", c.name, mapped, want)
			}
		}
	}
	if err := enc.close(); err != nil {
		t.Fatal(err)
	}
}
