package parquetfile_test

import (
	"fmt"
	"io"
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

// Column chunks are cut into data pages of Options.PageBytes of values as
// PLAIN would store them, PLAIN columns and dictionary-encoded ones alike,
// however their values reach arrow-go (lake hands most batches of
// dictionary columns over as indices): a reader decodes a page at a time,
// and the writer holds a page per column, not a row group's values.
func TestColumnsAreCutIntoPagesOfPageBytes(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		nullable("mode", arrow.BinaryTypes.String),
		nullable("day", arrow.FixedWidthTypes.Date32),
		nullable("amount", &arrow.Decimal128Type{Precision: 12, Scale: 2}),
		nullable("note", arrow.BinaryTypes.String),
	}, nil)
	// PLAIN would store a value in these many bytes: a string as its
	// length and bytes.
	plainBytes := map[string]int64{"mode": 4 + 4, "day": 4, "amount": 8, "note": 4 + 13}
	dictionary := map[string]bool{"mode": true, "day": true, "amount": true}
	const batchRows, batches = 16 * 1024, 40
	modes := []string{"RAIL", "SHIP", "MAIL", "AIR!"}

	var recs []arrow.RecordBatch
	for n := range batches {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := n * batchRows; i < (n+1)*batchRows; i++ {
			b.Field(0).(*array.StringBuilder).Append(modes[i%len(modes)])
			b.Field(1).(*array.Date32Builder).Append(arrow.Date32(19000 + i%365))
			b.Field(2).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i % 1000)))
			b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("order %08d", i))
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()

	for _, pageBytes := range []int64{0, 48 << 10} {
		want := pageBytes
		if want == 0 {
			want = parquetfile.DefaultPageBytes
		}
		t.Run(fmt.Sprintf("PageBytes %d", pageBytes), func(t *testing.T) {
			f, files := writeAll(t, parquetfile.Options{PageBytes: pageBytes}, schema, recs...)
			checkFiles(t, f, schema, files)
			for name, chunk := range readChunks(t, f.path(files[0].Name)) {
				counts := chunk.pageValues
				if got := chunk.dictionary; got != dictionary[name] {
					t.Errorf("%s: dictionary-encoded %v, want %v; the check needs it", name, got, dictionary[name])
				}
				// A page is cut in the batch that takes it past want, at
				// most a batch more. arrow-go checks the size every 1024
				// values and estimates it, and it cuts a dictionary
				// column's first page early, to compare the dictionary
				// with PLAIN: the pages between the first and the last
				// hold at least three quarters of want.
				least, most := want/plainBytes[name]*3/4, want/plainBytes[name]+batchRows
				var total int64
				for i, c := range counts {
					total += c
					middle := i > 0 && i < len(counts)-1
					if c > most || (middle && c < least) {
						t.Errorf("%s: page %d of %d holds %d values, want %d to %d (%d bytes as PLAIN, and up to a batch more)",
							name, i+1, len(counts), c, least, most, want)
					}
				}
				if len(counts) < 3 {
					t.Errorf("%s: %d pages, want more than 2", name, len(counts))
				}
				if total != batchRows*batches {
					t.Errorf("%s: pages of %v values, want them to add up to %d", name, counts, batchRows*batches)
				}
			}
		})
	}
}

// chunk is what a column chunk of a file's only row group holds.
type chunk struct {
	dictionary bool
	pageValues []int64 // the number of values of each data page
}

// readChunks reads the column chunks of the file at path, which must have
// one row group, with parquet-go.
func readChunks(t *testing.T, path string) map[string]chunk {
	t.Helper()
	file, err := os.Open(path)
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
	chunks := make(map[string]chunk)
	for i, path := range pf.Schema().Columns() {
		c := chunk{dictionary: pf.Metadata().RowGroups[0].Columns[i].MetaData.DictionaryPageOffset != 0}
		pages := pf.RowGroups()[0].ColumnChunks()[i].Pages()
		for {
			p, err := pages.ReadPage()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: read a page: %v", strings.Join(path, "."), err)
			}
			c.pageValues = append(c.pageValues, p.NumValues())
			parquet.Release(p)
		}
		pages.Close()
		chunks[strings.Join(path, ".")] = c
	}
	return chunks
}
