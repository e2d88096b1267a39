package parquetfile_test

import (
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/lake-engine/lake/loaders/parquetfile"
)

// A dictionary-encoded column chunk is cut into data pages of about 1 MiB
// of values, as PLAIN columns are, however its values reach arrow-go (lake
// hands most batches over as dictionary indices): a reader decodes a page
// at a time, and the writer buffers a page's indices, not a row group's.
func TestDictionaryColumnsAreCutIntoPages(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		nullable("mode", arrow.BinaryTypes.String),
		nullable("day", arrow.FixedWidthTypes.Date32),
		nullable("amount", &arrow.Decimal128Type{Precision: 12, Scale: 2}),
	}, nil)
	// PLAIN would store a value in these many bytes: a string as its
	// length and bytes.
	plainBytes := map[string]int{"mode": 4 + 4, "day": 4, "amount": 8}
	const batchRows, batches = 16 * 1024, 40
	modes := []string{"RAIL", "SHIP", "MAIL", "AIR!"}

	var recs []arrow.RecordBatch
	for n := range batches {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := n * batchRows; i < (n+1)*batchRows; i++ {
			b.Field(0).(*array.StringBuilder).Append(modes[i%len(modes)])
			b.Field(1).(*array.Date32Builder).Append(arrow.Date32(19000 + i%365))
			b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i % 1000)))
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	f, files := writeAll(t, parquetfile.Options{}, schema, recs...)
	checkFiles(t, f, schema, files)

	file, err := os.Open(f.path(files[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(file, info.Size())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pf.RowGroups()); n != 1 {
		t.Fatalf("%d row groups, want 1", n)
	}
	for i, path := range pf.Schema().Columns() {
		name := strings.Join(path, ".")
		chunk := pf.RowGroups()[0].ColumnChunks()[i]
		if pf.Metadata().RowGroups[0].Columns[i].MetaData.DictionaryPageOffset == 0 {
			t.Errorf("%s: not dictionary-encoded; the check needs it to be", name)
		}
		// A page is cut in the batch that takes it past 1 MiB.
		limit := int64((1<<20)/plainBytes[name] + batchRows)
		pages := chunk.Pages()
		var counts []int64
		for {
			p, err := pages.ReadPage()
			if err != nil {
				break
			}
			counts = append(counts, p.NumValues())
		}
		pages.Close()
		var total int64
		for _, c := range counts {
			total += c
			if c > limit {
				t.Errorf("%s: a page of %d values, want at most %d (about 1 MiB as PLAIN)", name, c, limit)
			}
		}
		if total != batchRows*batches || len(counts) < 2 {
			t.Errorf("%s: pages of %v values, want several adding up to %d", name, counts, batchRows*batches)
		}
	}
}
