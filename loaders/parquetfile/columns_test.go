package parquetfile_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lake-engine/lake/loaders/parquetfile"
)

var words = []string{"AIR", "MAIL", "RAIL", "SHIP", "TRUCK", "REG AIR", "FOB", "ü", "DELIVER IN PERSON", "COLLECT COD"}

// randomBatch fills every column of everyType with n rows of random
// values, about a tenth NULL, and lists of 0 to 3 elements (some NULL).
// txt holds the first vocab words (a dictionary column); bin's values are
// all different.
func randomBatch(rng *rand.Rand, n, vocab int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, everyType)
	defer b.Release()
	for range n {
		for i, fb := range b.Fields() {
			if rng.IntN(10) == 0 {
				fb.AppendNull()
				continue
			}
			switch i {
			case 0:
				fb.(*array.Int16Builder).Append(int16(rng.Uint32()))
			case 1:
				fb.(*array.Int32Builder).Append(int32(rng.Uint32()))
			case 2:
				fb.(*array.Int64Builder).Append(int64(rng.Uint64()))
			case 3:
				fb.(*array.Decimal128Builder).Append(decimal128.FromI64(rng.Int64N(1e15) - 5e14))
			case 4:
				fb.(*array.StringBuilder).Append(words[rng.IntN(vocab)])
			case 5:
				fb.(*array.BinaryBuilder).Append(fmt.Appendf(nil, "row-%d", rng.Uint64()))
			case 6:
				fb.(*array.BooleanBuilder).Append(rng.IntN(2) == 0)
			case 7:
				fb.(*array.Float32Builder).Append(rng.Float32())
			case 8:
				fb.(*array.Float64Builder).Append(rng.NormFloat64())
			case 9:
				fb.(*array.Date32Builder).Append(arrow.Date32(rng.IntN(20000)))
			case 10, 11:
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(rng.Int64N(4e15)))
			case 12, 13:
				lb := fb.(*array.ListBuilder)
				lb.Append(true)
				for range rng.IntN(4) {
					if rng.IntN(5) == 0 {
						lb.ValueBuilder().AppendNull()
					} else if i == 12 {
						lb.ValueBuilder().(*array.Int32Builder).Append(rng.Int32N(100))
					} else {
						lb.ValueBuilder().(*array.StringBuilder).Append(words[rng.IntN(len(words))])
					}
				}
			}
		}
	}
	return b.NewRecordBatch()
}

// readRows reads a Parquet file back with pqarrow and prints its rows,
// one string per row, its columns' values separated by tabs.
func readRows(t *testing.T, path string) []string {
	t.Helper()
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pf, err := file.NewParquetReader(r)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1000}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rows = append(rows, recordRows(rr.RecordBatch())...)
	}
	if err := rr.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func recordRows(rec arrow.RecordBatch) []string {
	rows := make([]string, rec.NumRows())
	for r := range rows {
		vals := make([]string, rec.NumCols())
		for c, col := range rec.Columns() {
			vals[c] = col.ValueStr(r)
		}
		rows[r] = strings.Join(vals, "\t")
	}
	return rows
}

// The columns of a batch are encoded on several goroutines, with levels
// computed by lake rather than by pqarrow, and strings of dictionary
// columns handed over as indices (stringDict). Random batches, cut into row
// groups in the middle of batches (and of their lists), with new words
// appearing in txt after a row group's first batch, must read back with
// arrow-go's reader exactly as written, and the file must not depend on
// the number of goroutines.
func TestColumnsEncodedInParallelReadBackAsWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var batches []arrow.RecordBatch
	var want []string
	for b := range 5 {
		rec := randomBatch(rng, 3000, 4+b)
		defer rec.Release()
		batches = append(batches, rec)
		want = append(want, recordRows(rec)...)
	}

	var sums []string
	for _, encoders := range []int{1, 3, 8} {
		opts := parquetfile.Options{RowGroupBytes: 100 << 10, Encoders: encoders}
		f, files := writeAll(t, opts, everyType, batches...)
		if len(files) != 1 {
			t.Fatalf("encoders %d: %d files, want 1", encoders, len(files))
		}
		path := f.path(files[0].Name)
		if groups := len(rowGroups(t, path)); groups < 5 {
			t.Fatalf("encoders %d: %d row groups, want batches cut into several", encoders, groups)
		}
		got := readRows(t, path)
		if len(got) != len(want) {
			t.Fatalf("encoders %d: read %d rows, wrote %d", encoders, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("encoders %d: row %d reads\n%s\nwrote\n%s", encoders, i, got[i], want[i])
			}
		}
		checkStringStats(t, path, 4, batches)
		if pages := dataPageEncodings(t, path, 4); len(pages) != 1 || !pages[parquet.Encodings.RLEDict] {
			t.Errorf("encoders %d: txt's data pages are %v, want only %s: the dictionary fell back", encoders, pages, parquet.Encodings.RLEDict)
		}
		sums = append(sums, files[0].SHA256)
	}
	if sums[0] != sums[1] || sums[0] != sums[2] {
		t.Errorf("files differ with the number of encoders: %v", sums)
	}
}

// dataPageEncodings returns the encodings of column col's data pages in
// every row group of the file at path.
func dataPageEncodings(t *testing.T, path string, col int) map[parquet.Encoding]bool {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	seen := map[parquet.Encoding]bool{}
	for g := range pf.NumRowGroups() {
		pages, err := pf.RowGroup(g).GetColumnPageReader(col)
		if err != nil {
			t.Fatal(err)
		}
		for pages.Next() {
			if p, ok := pages.Page().(file.DataPage); ok {
				seen[parquet.Encoding(p.Encoding())] = true
			}
		}
		if err := pages.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return seen
}

// checkStringStats compares the statistics of string column col in each
// row group of the file at path with the min, max and NULL count of the
// values the batches put there: stringDict keeps them itself.
func checkStringStats(t *testing.T, path string, col int, batches []arrow.RecordBatch) {
	t.Helper()
	var values []*string
	for _, rec := range batches {
		a := rec.Column(col).(*array.String)
		for i := range a.Len() {
			if a.IsNull(i) {
				values = append(values, nil)
			} else {
				v := a.Value(i)
				values = append(values, &v)
			}
		}
	}
	checkStats(t, path, col, values)
}

// checkStats compares the statistics of column col in each row group of
// the file at path with the min, max and NULL count of values, the
// column's values (as stored: bytes, integers) in file order.
func checkStats[V string | int64](t *testing.T, path string, col int, values []*V) {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	row := 0
	for g := range pf.NumRowGroups() {
		rg := pf.MetaData().RowGroup(g)
		var lo, hi V
		nulls, seen := int64(0), false
		for _, v := range values[row : row+int(rg.NumRows())] {
			switch {
			case v == nil:
				nulls++
			case !seen:
				lo, hi, seen = *v, *v, true
			default:
				lo, hi = min(lo, *v), max(hi, *v)
			}
		}
		row += int(rg.NumRows())
		chunk, err := rg.ColumnChunk(col)
		if err != nil {
			t.Fatal(err)
		}
		st, err := chunk.Statistics()
		if err != nil || st == nil {
			t.Fatalf("row group %d: no statistics (%v)", g, err)
		}
		var got string
		switch s := st.(type) {
		case *metadata.ByteArrayStatistics:
			got = fmt.Sprintf("%s..%s, %d NULL", s.Min(), s.Max(), s.NullCount())
		case *metadata.Int32Statistics:
			got = fmt.Sprintf("%d..%d, %d NULL", s.Min(), s.Max(), s.NullCount())
		case *metadata.Int64Statistics:
			got = fmt.Sprintf("%d..%d, %d NULL", s.Min(), s.Max(), s.NullCount())
		default:
			t.Fatalf("column %d: %T statistics", col, st)
		}
		if want := fmt.Sprintf("%v..%v, %d NULL", lo, hi, nulls); got != want {
			t.Errorf("column %d, row group %d: statistics %s, values %s", col, g, got, want)
		}
	}
}

func TestNestedColumnsOtherThanListsAreRefused(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		nullable("id", arrow.PrimitiveTypes.Int64),
		nullable("point", arrow.StructOf(nullable("x", arrow.PrimitiveTypes.Float64))),
	}, nil)
	w := parquetfile.NewWriter(parquetfile.Options{}, newFolder(t).create)
	err := w.Begin(schema, columnsOf(schema))
	if err == nil || !strings.Contains(err.Error(), `column "point"`) {
		t.Fatalf("Begin = %v, want an error naming column point", err)
	}
}
