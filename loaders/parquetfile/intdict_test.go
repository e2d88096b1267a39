package parquetfile_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"

	"github.com/lake-engine/lake/loaders/parquetfile"
)

// Columns of few values stored as INT32 or INT64: a date, a small key
// (negative too), a key spread over a range too wide to look up by
// position, decimals stored as INT64 and as INT32, a timestamp.
var fewValues = arrow.NewSchema([]arrow.Field{
	nullable("day", arrow.FixedWidthTypes.Date32),
	nullable("key", arrow.PrimitiveTypes.Int32),
	nullable("wide", arrow.PrimitiveTypes.Int64),
	nullable("amount", &arrow.Decimal128Type{Precision: 15, Scale: 2}),
	nullable("rate", &arrow.Decimal128Type{Precision: 7, Scale: 2}),
	nullable("at", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}),
}, nil)

// fewValuesBatch has n rows of values i in [0, vocab) of each column, a
// tenth NULL; physical is what Parquet stores for each (nil for NULL).
func fewValuesBatch(rng *rand.Rand, n, vocab int) (arrow.RecordBatch, [][]*int64) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, fewValues)
	defer b.Release()
	physical := make([][]*int64, fewValues.NumFields())
	for range n {
		for c, fb := range b.Fields() {
			if rng.IntN(10) == 0 {
				fb.AppendNull()
				physical[c] = append(physical[c], nil)
				continue
			}
			i := int64(rng.IntN(vocab))
			var v int64
			switch c {
			case 0:
				v = 18000 + 3*i
				fb.(*array.Date32Builder).Append(arrow.Date32(v))
			case 1:
				v = 7*i - 100
				fb.(*array.Int32Builder).Append(int32(v))
			case 2:
				v = i*1e15 - 3e17
				fb.(*array.Int64Builder).Append(v)
			case 3:
				v = 137*i - 2000
				fb.(*array.Decimal128Builder).Append(decimal128.FromI64(v))
			case 4:
				v = 11 * i
				fb.(*array.Decimal128Builder).Append(decimal128.FromI64(v))
			case 5:
				v = 1.7e15 + i*3.6e9
				fb.(*array.TimestampBuilder).Append(arrow.Timestamp(v))
			}
			physical[c] = append(physical[c], &v)
		}
	}
	return b.NewRecordBatch(), physical
}

// Dictionary columns stored as integers reach arrow-go as indices
// (intDict), which must follow arrow-go's dictionary when a batch brings
// values its row group has not had yet. Batches whose vocabulary grows,
// cut into row groups in the middle, must read back exactly as written,
// every data page must stay dictionary-encoded, and each row group's
// statistics must be its values' min, max and NULL count.
func TestIntegerDictionariesReadBackAsWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var batches []arrow.RecordBatch
	var want []string
	physical := make([][]*int64, fewValues.NumFields())
	for b := range 6 {
		rec, phys := fewValuesBatch(rng, 3000, 40+30*b)
		defer rec.Release()
		batches = append(batches, rec)
		want = append(want, recordRows(rec)...)
		for c := range physical {
			physical[c] = append(physical[c], phys[c]...)
		}
	}
	for _, encoders := range []int{1, 4} {
		path := writeInRowGroups(t, parquetfile.Options{RowGroupBytes: 40 << 10, Encoders: encoders}, fewValues, batches, want)
		for c, field := range fewValues.Fields() {
			if pages := dataPageEncodings(t, path, c); len(pages) != 1 || !pages[parquet.Encodings.RLEDict] {
				t.Errorf("%s's data pages are %v, want only %s", field.Name, pages, parquet.Encodings.RLEDict)
			}
			checkStats(t, path, c, physical[c])
		}
	}
}

// String columns of few values reach arrow-go as indices too (stringDict),
// into one slice of indices reused from batch to batch: batches with NULLs
// and a growing vocabulary, cut into row groups in the middle (so that a
// batch arrives at an offset), must read back exactly as written, their
// data pages dictionary-encoded.
func TestStringDictionariesReadBackAsWritten(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		nullable("status", arrow.BinaryTypes.String),
		nullable("code", arrow.BinaryTypes.Binary),
	}, nil)
	rng := rand.New(rand.NewPCG(5, 6))
	var batches []arrow.RecordBatch
	var want []string
	for b := range 6 {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for range 3000 {
			if rng.IntN(10) == 0 {
				rb.Field(0).AppendNull()
				rb.Field(1).AppendNull()
				continue
			}
			v := rng.IntN(40 + 30*b)
			rb.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("status %d", v))
			rb.Field(1).(*array.BinaryBuilder).Append([]byte(fmt.Sprintf("c%d", v)))
		}
		rec := rb.NewRecordBatch()
		rb.Release()
		defer rec.Release()
		batches = append(batches, rec)
		want = append(want, recordRows(rec)...)
	}
	path := writeInRowGroups(t, parquetfile.Options{RowGroupBytes: 20 << 10}, schema, batches, want)
	for c, field := range schema.Fields() {
		if pages := dataPageEncodings(t, path, c); len(pages) != 1 || !pages[parquet.Encodings.RLEDict] {
			t.Errorf("%s's data pages are %v, want only %s", field.Name, pages, parquet.Encodings.RLEDict)
		}
	}
}

// writeInRowGroups writes batches into one file of several row groups, so
// that some batches are cut, checks that it reads back as want (the rows
// of the batches) and returns its path.
func writeInRowGroups(t *testing.T, opts parquetfile.Options, schema *arrow.Schema, batches []arrow.RecordBatch, want []string) string {
	t.Helper()
	f, files := writeAll(t, opts, schema, batches...)
	if len(files) != 1 {
		t.Fatalf("%d files, want 1", len(files))
	}
	path := f.path(files[0].Name)
	if groups := len(rowGroups(t, path)); groups < 3 {
		t.Fatalf("%d row groups, want batches cut into several", groups)
	}
	got := readRows(t, path)
	if len(got) != len(want) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("encoders %d: row %d reads\n%s\nwrote\n%s", opts.Encoders, i, got[i], want[i])
		}
	}
	return path
}
