package parquetfile_test

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/parquetfile"
)

// folder is a CreateFunc target that writes real files: part-NNNNN.parquet,
// through a temporary name renamed on Commit.
type folder struct {
	t       *testing.T
	dir     string
	aborted []string
}

func newFolder(t *testing.T) *folder { return &folder{t: t, dir: t.TempDir()} }

func (f *folder) create(seq int) (string, parquetfile.Destination, error) {
	name := fmt.Sprintf("part-%05d.parquet", seq)
	tmp, err := os.CreateTemp(f.dir, ".tmp-*")
	if err != nil {
		return "", nil, err
	}
	return name, &fileDestination{folder: f, file: tmp, final: filepath.Join(f.dir, name), name: name}, nil
}

func (f *folder) path(name string) string { return filepath.Join(f.dir, name) }

// entries lists the folder, temporary files included.
func (f *folder) entries() []string {
	f.t.Helper()
	des, err := os.ReadDir(f.dir)
	if err != nil {
		f.t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

type fileDestination struct {
	folder      *folder
	file        *os.File
	final, name string
	done        bool
}

func (d *fileDestination) Write(p []byte) (int, error) { return d.file.Write(p) }

func (d *fileDestination) Commit() error {
	if err := d.file.Sync(); err != nil {
		return err
	}
	if err := d.file.Close(); err != nil {
		return err
	}
	d.done = true
	return os.Rename(d.file.Name(), d.final)
}

func (d *fileDestination) Abort() {
	if d.done {
		return
	}
	d.done = true
	d.file.Close()
	os.Remove(d.file.Name())
	d.folder.aborted = append(d.folder.aborted, d.name)
}

func duck(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	return db
}

// queryStrings runs q and returns every row as strings, NULL as "NULL".
func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func nullable(name string, typ arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: typ, Nullable: true}
}

var everyType = arrow.NewSchema([]arrow.Field{
	nullable("i16", arrow.PrimitiveTypes.Int16),
	nullable("i32", arrow.PrimitiveTypes.Int32),
	nullable("i64", arrow.PrimitiveTypes.Int64),
	nullable("dec", &arrow.Decimal128Type{Precision: 38, Scale: 10}),
	nullable("txt", arrow.BinaryTypes.String),
	nullable("bin", arrow.BinaryTypes.Binary),
	nullable("flag", arrow.FixedWidthTypes.Boolean),
	nullable("f32", arrow.PrimitiveTypes.Float32),
	nullable("f64", arrow.PrimitiveTypes.Float64),
	nullable("day", arrow.FixedWidthTypes.Date32),
	nullable("ts", &arrow.TimestampType{Unit: arrow.Microsecond}),
	nullable("tstz", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}),
	nullable("ints", arrow.ListOf(arrow.PrimitiveTypes.Int32)),
	nullable("strs", arrow.ListOf(arrow.BinaryTypes.String)),
}, nil)

func mustDecimal(t *testing.T, s string) decimal128.Num {
	t.Helper()
	n, err := decimal128.FromString(s, 38, 10)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// everyTypeBatch holds three rows: extremes, ordinary and pre-1970 values,
// and a row of NULLs.
func everyTypeBatch(t *testing.T) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, everyType)
	defer b.Release()
	micros := func(y int, mo time.Month, d, h, mi, s, us int) arrow.Timestamp {
		return arrow.Timestamp(time.Date(y, mo, d, h, mi, s, us*1000, time.UTC).UnixMicro())
	}

	b.Field(0).(*array.Int16Builder).AppendValues([]int16{32767, -32768}, nil)
	b.Field(1).(*array.Int32Builder).AppendValues([]int32{2147483647, -2147483648}, nil)
	b.Field(2).(*array.Int64Builder).AppendValues([]int64{9223372036854775807, -9223372036854775808}, nil)
	b.Field(3).(*array.Decimal128Builder).AppendValues([]decimal128.Num{
		mustDecimal(t, "9999999999999999999999999999.9999999999"),
		mustDecimal(t, "-0.0000000001"),
	}, nil)
	b.Field(4).(*array.StringBuilder).AppendValues([]string{"héllo wörld ✓ 日本語 🦆", ""}, nil)
	b.Field(5).(*array.BinaryBuilder).AppendValues([][]byte{{0x00, 0xff, 0x10}, {}}, nil)
	b.Field(6).(*array.BooleanBuilder).AppendValues([]bool{true, false}, nil)
	b.Field(7).(*array.Float32Builder).AppendValues([]float32{1.5, -0.25}, nil)
	b.Field(8).(*array.Float64Builder).AppendValues([]float64{3.141592653589793, -1e300}, nil)
	b.Field(9).(*array.Date32Builder).AppendValues([]arrow.Date32{
		arrow.Date32FromTime(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)),
		arrow.Date32FromTime(time.Date(1969, 7, 20, 0, 0, 0, 0, time.UTC)),
	}, nil)
	b.Field(10).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{
		micros(2038, 1, 19, 3, 14, 8, 123456),
		micros(1969, 12, 31, 23, 59, 59, 999999),
	}, nil)
	b.Field(11).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{
		micros(2100, 1, 1, 0, 0, 0, 1),
		micros(1900, 1, 1, 12, 0, 0, 0),
	}, nil)
	ints := b.Field(12).(*array.ListBuilder)
	intValues := ints.ValueBuilder().(*array.Int32Builder)
	ints.Append(true)
	intValues.Append(1)
	intValues.AppendNull()
	intValues.Append(3)
	ints.Append(true) // empty list
	strs := b.Field(13).(*array.ListBuilder)
	strValues := strs.ValueBuilder().(*array.StringBuilder)
	strs.Append(true)
	strValues.Append("a")
	strValues.AppendNull()
	strValues.Append("ü")
	strs.Append(true) // empty list

	for _, f := range b.Fields() {
		f.AppendNull()
	}
	return b.NewRecordBatch()
}

func columnsOf(s *arrow.Schema) []loaders.Column {
	cols := make([]loaders.Column, s.NumFields())
	for i, f := range s.Fields() {
		cols[i] = loaders.Column{Name: f.Name, SourceType: f.Type.String(), Arrow: f.Type}
	}
	return cols
}

// writeAll writes batches with a fresh Writer into a fresh folder.
func writeAll(t *testing.T, opts parquetfile.Options, schema *arrow.Schema, batches ...arrow.RecordBatch) (*folder, []parquetfile.File) {
	t.Helper()
	f := newFolder(t)
	return f, writeWith(t, opts, f.create, schema, batches...)
}

// writeWith writes batches with a fresh Writer into the files create opens.
func writeWith(tb testing.TB, opts parquetfile.Options, create parquetfile.CreateFunc, schema *arrow.Schema, batches ...arrow.RecordBatch) []parquetfile.File {
	tb.Helper()
	w := parquetfile.NewWriter(opts, create)
	defer w.Abort()
	if err := w.Begin(schema, columnsOf(schema)); err != nil {
		tb.Fatal(err)
	}
	for _, b := range batches {
		if err := w.Write(b); err != nil {
			tb.Fatal(err)
		}
	}
	files, err := w.Close()
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func TestRoundTripEveryTypeReadByDuckDB(t *testing.T) {
	rec := everyTypeBatch(t)
	defer rec.Release()
	f, files := writeAll(t, parquetfile.Options{}, everyType, rec)
	if len(files) != 1 || files[0].Rows != 3 {
		t.Fatalf("files = %+v, want one file of 3 rows", files)
	}
	checkFiles(t, f, everyType, files)
	path := f.path(files[0].Name)
	db := duck(t)

	tests := []struct {
		column string
		want   []string // rows 0, 1, 2 as DuckDB prints them
	}{
		{"i16", []string{"32767", "-32768", "NULL"}},
		{"i32", []string{"2147483647", "-2147483648", "NULL"}},
		{"i64", []string{"9223372036854775807", "-9223372036854775808", "NULL"}},
		{"dec", []string{"9999999999999999999999999999.9999999999", "-0.0000000001", "NULL"}},
		{"txt", []string{"héllo wörld ✓ 日本語 🦆", "", "NULL"}},
		{"hex(bin)", []string{"00FF10", "", "NULL"}},
		{"flag", []string{"true", "false", "NULL"}},
		{"f32", []string{"1.5", "-0.25", "NULL"}},
		{"f64", []string{"3.141592653589793", "-1e+300", "NULL"}},
		{"day", []string{"2024-02-29", "1969-07-20", "NULL"}},
		{"ts", []string{"2038-01-19 03:14:08.123456", "1969-12-31 23:59:59.999999", "NULL"}},
		{"tstz", []string{"2100-01-01 00:00:00.000001+00", "1900-01-01 12:00:00+00", "NULL"}},
		{"ints", []string{"[1, NULL, 3]", "[]", "NULL"}},
		{"strs", []string{"[a, NULL, ü]", "[]", "NULL"}},
		{"typeof(dec)", []string{"DECIMAL(38,10)", "DECIMAL(38,10)", "DECIMAL(38,10)"}},
		{"typeof(ts)", []string{"TIMESTAMP", "TIMESTAMP", "TIMESTAMP"}},
		{"typeof(tstz)", []string{"TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP WITH TIME ZONE"}},
		{"typeof(day)", []string{"DATE", "DATE", "DATE"}},
		{"typeof(strs)", []string{"VARCHAR[]", "VARCHAR[]", "VARCHAR[]"}},
	}
	for _, tt := range tests {
		t.Run(tt.column, func(t *testing.T) {
			q := fmt.Sprintf("SELECT CAST(%s AS VARCHAR) FROM read_parquet(?) ORDER BY i64 DESC NULLS LAST", tt.column)
			rows := queryStrings(t, db, q, path)
			var got []string
			for _, r := range rows {
				got = append(got, r[0])
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParquetTypesAreTheOnesEnginesExpect(t *testing.T) {
	rec := everyTypeBatch(t)
	defer rec.Release()
	f, files := writeAll(t, parquetfile.Options{}, everyType, rec)
	db := duck(t)
	rows := queryStrings(t, db,
		"SELECT name, coalesce(type, ''), coalesce(repetition_type, ''), coalesce(converted_type, ''), coalesce(logical_type, ''), "+
			"coalesce(CAST(precision AS VARCHAR), ''), coalesce(CAST(scale AS VARCHAR), '') FROM parquet_schema(?)",
		f.path(files[0].Name))
	// Names repeat inside lists ("list", "element"); the first is the ints column's.
	got := map[string][]string{}
	for _, r := range rows {
		if _, seen := got[r[0]]; !seen {
			got[r[0]] = r[1:]
		}
	}

	tests := []struct {
		column, physical, repetition, converted, logicalContains, precision, scale string
	}{
		// The converted type TIMESTAMP_MICROS is always set, as Arrow C++
		// does, for old readers; isAdjustedToUTC in the logical type is
		// what tells naive from zone-aware.
		{"ts", "INT64", "OPTIONAL", "TIMESTAMP_MICROS", "TimestampType(isAdjustedToUTC=0, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds()", "", ""},
		{"tstz", "INT64", "OPTIONAL", "TIMESTAMP_MICROS", "TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds()", "", ""},
		{"dec", "FIXED_LEN_BYTE_ARRAY", "OPTIONAL", "DECIMAL", "DecimalType(scale=10, precision=38)", "38", "10"},
		{"txt", "BYTE_ARRAY", "OPTIONAL", "UTF8", "StringType()", "", ""},
		{"bin", "BYTE_ARRAY", "OPTIONAL", "", "", "", ""},
		{"day", "INT32", "OPTIONAL", "DATE", "DateType()", "", ""},
		{"i16", "INT32", "OPTIONAL", "INT_16", "isSigned=1", "", ""},
		// Standard 3-level list: <name> (LIST) > list (repeated) > element.
		{"ints", "", "OPTIONAL", "LIST", "ListType()", "", ""},
		{"list", "", "REPEATED", "", "", "", ""},
		{"element", "INT32", "OPTIONAL", "INT_32", "isSigned=1", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.column, func(t *testing.T) {
			g, ok := got[tt.column]
			if !ok {
				t.Fatalf("no column %q in parquet_schema: %v", tt.column, rows)
			}
			if g[0] != tt.physical || g[1] != tt.repetition || g[2] != tt.converted {
				t.Errorf("physical, repetition, converted = %q, %q, %q, want %q, %q, %q", g[0], g[1], g[2], tt.physical, tt.repetition, tt.converted)
			}
			if !strings.Contains(g[3], tt.logicalContains) {
				t.Errorf("logical type = %q, want it to contain %q", g[3], tt.logicalContains)
			}
			if g[4] != tt.precision || g[5] != tt.scale {
				t.Errorf("precision, scale = %q, %q, want %q, %q", g[4], g[5], tt.precision, tt.scale)
			}
		})
	}
}

var idSchema = arrow.NewSchema([]arrow.Field{
	nullable("id", arrow.PrimitiveTypes.Int64),
	nullable("name", arrow.BinaryTypes.String),
}, nil)

// idBatch holds rows first..first+n-1 with a name that compresses poorly
// enough to make file sizes grow with the row count.
func idBatch(first, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, idSchema)
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		b.Field(1).(*array.StringBuilder).Append(hex.EncodeToString(sum[:]))
	}
	return b.NewRecordBatch()
}

func idBatches(t *testing.T, count, rows int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	for i := 0; i < count; i++ {
		b := idBatch(i*rows, rows)
		t.Cleanup(b.Release)
		out = append(out, b)
	}
	return out
}

// checkFiles verifies every file with DuckDB and parquet-go, and that the
// recorded rows, bytes and checksums describe the bytes on disk.
func checkFiles(t *testing.T, f *folder, schema *arrow.Schema, files []parquetfile.File) (total int64) {
	t.Helper()
	db := duck(t)
	for _, file := range files {
		data, err := os.ReadFile(f.path(file.Name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if file.Bytes != int64(len(data)) || file.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: recorded %d bytes sha256 %s, on disk %d bytes sha256 %x", file.Name, file.Bytes, file.SHA256, len(data), sum)
		}
		if rows, err := parquetfile.Verify(bytes.NewReader(data), int64(len(data)), schema); err != nil || rows != file.Rows {
			t.Errorf("%s: Verify = %d, %v, recorded %d rows", file.Name, rows, err, file.Rows)
		}
		n := queryStrings(t, db, "SELECT count(*) FROM read_parquet(?)", f.path(file.Name))[0][0]
		if n != fmt.Sprint(file.Rows) {
			t.Errorf("%s: DuckDB counts %s rows, recorded %d", file.Name, n, file.Rows)
		}
		total += file.Rows
	}
	return total
}

func TestFilesRollOverBetweenBatches(t *testing.T) {
	tests := []struct {
		name      string
		fileBytes int64
		batches   int
		wantFiles int
	}{
		{"every batch fills a file", 1, 5, 5},
		{"large limit keeps one file", 1 << 30, 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batches := idBatches(t, tt.batches, 1000)
			f, files := writeAll(t, parquetfile.Options{FileBytes: tt.fileBytes}, idSchema, batches...)
			if len(files) != tt.wantFiles {
				t.Fatalf("got %d files %+v, want %d", len(files), files, tt.wantFiles)
			}
			for i, file := range files {
				if want := fmt.Sprintf("part-%05d.parquet", i); file.Name != want {
					t.Errorf("file %d is %s, want %s", i, file.Name, want)
				}
				if file.Rows%1000 != 0 || file.Rows == 0 {
					t.Errorf("%s has %d rows: a batch was split across files", file.Name, file.Rows)
				}
			}
			if total := checkFiles(t, f, idSchema, files); total != 5000 {
				t.Errorf("files hold %d rows, want 5000", total)
			}
			db := duck(t)
			got := queryStrings(t, db, "SELECT count(DISTINCT id), min(id), max(id) FROM read_parquet(?)", filepath.Join(f.dir, "part-*.parquet"))
			if strings.Join(got[0], ",") != "5000,0,4999" {
				t.Errorf("distinct, min, max id = %v, want 5000,0,4999", got[0])
			}
		})
	}
}

func TestFileBytesLimitMakesSeveralFiles(t *testing.T) {
	// 40 batches of 1000 rows with a 64-byte hex name each: about 2.5 MB of
	// hashes that compress little. A 256 KiB limit must give several files.
	batches := idBatches(t, 40, 1000)
	f, files := writeAll(t, parquetfile.Options{FileBytes: 256 << 10, RowGroupBytes: 64 << 10}, idSchema, batches...)
	if len(files) < 3 {
		t.Fatalf("got %d files, want several", len(files))
	}
	if total := checkFiles(t, f, idSchema, files); total != 40000 {
		t.Errorf("files hold %d rows, want 40000", total)
	}
	for _, file := range files[:len(files)-1] {
		if file.Bytes < 256<<10 {
			t.Errorf("%s was closed at %d bytes, before reaching the limit", file.Name, file.Bytes)
		}
	}
}

func rowGroups(t *testing.T, path string) [][]string {
	db := duck(t)
	return queryStrings(t, db,
		"SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata(?) GROUP BY row_group_id ORDER BY row_group_id", path)
}

func TestRowGroupsAreSizedByBytes(t *testing.T) {
	t.Run("small limit cuts a large batch into several row groups", func(t *testing.T) {
		batch := idBatch(0, 10000)
		defer batch.Release()
		f, files := writeAll(t, parquetfile.Options{RowGroupBytes: 64 << 10}, idSchema, batch)
		groups := rowGroups(t, f.path(files[0].Name))
		// 10000 rows of about 8+4+64 Arrow bytes are about 760 KB: 12 groups of 64 KiB.
		if len(groups) < 10 || len(groups) > 14 {
			t.Fatalf("got %d row groups %v, want about 12", len(groups), groups)
		}
		if total := checkFiles(t, f, idSchema, files); total != 10000 {
			t.Errorf("files hold %d rows, want 10000", total)
		}
	})
	t.Run("small batches share one row group under the default limit", func(t *testing.T) {
		f, files := writeAll(t, parquetfile.Options{}, idSchema, idBatches(t, 10, 100)...)
		groups := rowGroups(t, f.path(files[0].Name))
		if len(groups) != 1 || groups[0][1] != "1000" {
			t.Fatalf("row groups = %v, want one of 1000 rows", groups)
		}
	})
}

func TestZeroRowsMakeOneValidFileWithTheSchema(t *testing.T) {
	f, files := writeAll(t, parquetfile.Options{}, everyType)
	if len(files) != 1 || files[0].Rows != 0 || files[0].Name != "part-00000.parquet" {
		t.Fatalf("files = %+v, want one file part-00000.parquet with 0 rows", files)
	}
	checkFiles(t, f, everyType, files)
	db := duck(t)
	got := queryStrings(t, db, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))", f.path(files[0].Name))
	want := "i16 SMALLINT,i32 INTEGER,i64 BIGINT,dec DECIMAL(38,10),txt VARCHAR,bin BLOB,flag BOOLEAN,f32 FLOAT,f64 DOUBLE," +
		"day DATE,ts TIMESTAMP,tstz TIMESTAMP WITH TIME ZONE,ints INTEGER[],strs VARCHAR[]"
	var cols []string
	for _, r := range got {
		cols = append(cols, r[0]+" "+r[1])
	}
	if strings.Join(cols, ",") != want {
		t.Errorf("DuckDB sees %s\nwant %s", strings.Join(cols, ","), want)
	}
	data, err := os.ReadFile(f.path(files[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := parquetfile.Verify(bytes.NewReader(data), int64(len(data)), everyType)
	if err != nil || rows != 0 {
		t.Errorf("Verify = %d, %v, want 0 rows", rows, err)
	}
}

func TestVerify(t *testing.T) {
	batch := idBatch(0, 5000)
	defer batch.Release()
	f, files := writeAll(t, parquetfile.Options{RowGroupBytes: 64 << 10}, idSchema, batch)
	data, err := os.ReadFile(f.path(files[0].Name))
	if err != nil {
		t.Fatal(err)
	}
	// A footer that claims more than the file holds: keep the footer but
	// drop the middle of the data.
	footerLen := int(data[len(data)-8]) | int(data[len(data)-7])<<8 | int(data[len(data)-6])<<16
	footerStart := len(data) - 8 - footerLen
	shortened := append(append([]byte{}, data[:footerStart/2]...), data[footerStart:]...)

	renamed := arrow.NewSchema([]arrow.Field{nullable("id", arrow.PrimitiveTypes.Int64), nullable("title", arrow.BinaryTypes.String)}, nil)
	fewer := arrow.NewSchema([]arrow.Field{nullable("id", arrow.PrimitiveTypes.Int64)}, nil)
	swapped := arrow.NewSchema([]arrow.Field{nullable("name", arrow.BinaryTypes.String), nullable("id", arrow.PrimitiveTypes.Int64)}, nil)

	tests := []struct {
		name     string
		data     []byte
		want     *arrow.Schema
		wantRows int64
		wantErr  error
	}{
		{"complete file matches", data, idSchema, 5000, nil},
		{"truncated by one byte", data[:len(data)-1], idSchema, 0, parquetfile.ErrInvalidFile},
		{"truncated to half", data[:len(data)/2], idSchema, 0, parquetfile.ErrInvalidFile},
		{"empty", nil, idSchema, 0, parquetfile.ErrInvalidFile},
		{"footer points past the data", shortened, idSchema, 0, parquetfile.ErrInvalidFile},
		{"renamed column", data, renamed, 0, parquetfile.ErrSchemaMismatch},
		{"missing column", data, fewer, 0, parquetfile.ErrSchemaMismatch},
		{"columns in another order", data, swapped, 0, parquetfile.ErrSchemaMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := parquetfile.Verify(bytes.NewReader(tt.data), int64(len(tt.data)), tt.want)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify error = %v, want %v", err, tt.wantErr)
			}
			if rows != tt.wantRows {
				t.Errorf("Verify rows = %d, want %d", rows, tt.wantRows)
			}
		})
	}
}

func TestCompressionCodec(t *testing.T) {
	tests := []struct {
		compression string
		want        string
	}{
		{"", "ZSTD"},
		{"zstd", "ZSTD"},
		{"snappy", "SNAPPY"},
		{"gzip", "GZIP"},
		{"none", "UNCOMPRESSED"},
	}
	for _, tt := range tests {
		t.Run("compression "+tt.compression, func(t *testing.T) {
			f, files := writeAll(t, parquetfile.Options{Compression: tt.compression}, idSchema, idBatches(t, 1, 100)...)
			db := duck(t)
			got := queryStrings(t, db, "SELECT DISTINCT compression FROM parquet_metadata(?)", f.path(files[0].Name))
			if len(got) != 1 || got[0][0] != tt.want {
				t.Errorf("codecs = %v, want only %s", got, tt.want)
			}
		})
	}
}

func TestStatisticsAreWritten(t *testing.T) {
	f, files := writeAll(t, parquetfile.Options{}, idSchema, idBatches(t, 3, 100)...)
	db := duck(t)
	got := queryStrings(t, db, "SELECT stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata(?) WHERE path_in_schema = 'id'", f.path(files[0].Name))
	if len(got) != 1 || strings.Join(got[0], ",") != "0,299,0" {
		t.Errorf("id statistics = %v, want min 0, max 299, 0 nulls", got)
	}
}

// A higher level makes smaller files of the same rows, for both codecs
// with levels; every file reads back whole.
func TestCompressionLevelIsApplied(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{nullable("note", arrow.BinaryTypes.String)}, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	words := strings.Fields("quickly final deposits sleep furiously among the pending accounts blithely ironic theodolites")
	b := array.NewStringBuilder(memory.DefaultAllocator)
	for i := range 50_000 {
		// Distinct values, so that no dictionary hides the codec.
		b.Append(fmt.Sprintf("%d %s %s %s", i, words[rng.IntN(len(words))], words[rng.IntN(len(words))], words[rng.IntN(len(words))]))
	}
	col := b.NewArray()
	defer col.Release()
	batch := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	defer batch.Release()
	db := duck(t)
	size := func(compression string, level int) int64 {
		f, files := writeAll(t, parquetfile.Options{Compression: compression, CompressionLevel: level}, schema, batch)
		path := f.path(files[0].Name)
		got := queryStrings(t, db, "SELECT count(*), count(DISTINCT note) FROM read_parquet(?)", path)
		if strings.Join(got[0], ",") != "50000,50000" {
			t.Fatalf("%s level %d: read back %v, want 50000 distinct rows", compression, level, got)
		}
		return files[0].Bytes
	}
	for _, tt := range []struct {
		compression string
		low, high   int
	}{{"zstd", 1, 19}, {"gzip", 1, 9}} {
		low, high := size(tt.compression, tt.low), size(tt.compression, tt.high)
		if high >= low {
			t.Errorf("%s: level %d wrote %d bytes, level %d %d: want fewer at the higher level", tt.compression, tt.high, high, tt.low, low)
		}
	}
}

func TestBadCompressionLevelFailsAtBegin(t *testing.T) {
	for _, o := range []parquetfile.Options{
		{Compression: "zstd", CompressionLevel: 23},
		{Compression: "gzip", CompressionLevel: 10},
		{Compression: "snappy", CompressionLevel: 1},
	} {
		w := parquetfile.NewWriter(o, newFolder(t).create)
		if err := w.Begin(idSchema, columnsOf(idSchema)); err == nil || !strings.Contains(err.Error(), fmt.Sprint(o.CompressionLevel)) {
			t.Errorf("%s level %d: Begin error = %v, want one naming the level", o.Compression, o.CompressionLevel, err)
		}
	}
}

func TestUnknownCompressionFailsAtBegin(t *testing.T) {
	f := newFolder(t)
	w := parquetfile.NewWriter(parquetfile.Options{Compression: "lz5"}, f.create)
	err := w.Begin(idSchema, columnsOf(idSchema))
	if err == nil || !strings.Contains(err.Error(), "lz5") {
		t.Fatalf("Begin error = %v, want one naming lz5", err)
	}
}

func TestAbort(t *testing.T) {
	t.Run("discards the open file and keeps committed ones", func(t *testing.T) {
		f := newFolder(t)
		w := parquetfile.NewWriter(parquetfile.Options{FileBytes: 1}, f.create)
		if err := w.Begin(idSchema, columnsOf(idSchema)); err != nil {
			t.Fatal(err)
		}
		batches := idBatches(t, 2, 10)
		if err := w.Write(batches[0]); err != nil { // fills and commits part 0
			t.Fatal(err)
		}
		w.Abort()
		if err := w.Write(batches[1]); err == nil {
			t.Error("Write after Abort succeeded")
		}
		if _, err := w.Close(); err == nil {
			t.Error("Close after Abort succeeded")
		}
		if got := strings.Join(f.entries(), ","); got != "part-00000.parquet" {
			t.Errorf("folder holds %s, want only part-00000.parquet", got)
		}
	})
	t.Run("removes a partly written file", func(t *testing.T) {
		f := newFolder(t)
		w := parquetfile.NewWriter(parquetfile.Options{}, f.create)
		if err := w.Begin(idSchema, columnsOf(idSchema)); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(idBatches(t, 1, 10)[0]); err != nil {
			t.Fatal(err)
		}
		w.Abort()
		if got := f.entries(); len(got) != 0 || strings.Join(f.aborted, ",") != "part-00000.parquet" {
			t.Errorf("folder holds %v, aborted %v; want empty folder, part-00000.parquet aborted", got, f.aborted)
		}
	})
	t.Run("after Close is a no-op", func(t *testing.T) {
		f := newFolder(t)
		w := parquetfile.NewWriter(parquetfile.Options{}, f.create)
		if err := w.Begin(idSchema, columnsOf(idSchema)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Close(); err != nil {
			t.Fatal(err)
		}
		w.Abort()
		w.Abort()
		if got := strings.Join(f.entries(), ","); got != "part-00000.parquet" || len(f.aborted) != 0 {
			t.Errorf("folder holds %s, aborted %v; want part-00000.parquet kept", got, f.aborted)
		}
	})
}

func TestWriteRejectsAnotherSchema(t *testing.T) {
	f := newFolder(t)
	w := parquetfile.NewWriter(parquetfile.Options{}, f.create)
	defer w.Abort()
	if err := w.Begin(everyType, columnsOf(everyType)); err != nil {
		t.Fatal(err)
	}
	batch := idBatch(0, 3)
	defer batch.Release()
	if err := w.Write(batch); err == nil {
		t.Fatal("Write of a batch with another schema succeeded")
	}
}

// A column of few distinct values gets a dictionary; one of mostly
// distinct values is written plain (integers delta-encoded), which zstd
// compresses better and which costs no hash look-up per value. Every file
// of a Writer makes the same choice, from its first batch.
func TestDictionaryOnlyForColumnsOfFewValues(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		nullable("id", arrow.PrimitiveTypes.Int64),
		nullable("status", arrow.BinaryTypes.String),
		nullable("note", arrow.BinaryTypes.String),
		nullable("sparse", arrow.BinaryTypes.String),
	}, nil)
	batch := func(first, n int) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i := first; i < first+n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.StringBuilder).Append([]string{"new", "paid", "shipped"}[i%3])
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("order %d", i))
			// Too few values in the first batch to tell: keeps the default.
			if i%1000 == 0 {
				b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("rare %d", i))
			} else {
				b.Field(3).(*array.StringBuilder).AppendNull()
			}
		}
		return b.NewRecordBatch()
	}
	b1, b2 := batch(0, 5000), batch(5000, 5000)
	defer b1.Release()
	defer b2.Release()
	// Tiny files, so that the second batch goes to a second file.
	f, files := writeAll(t, parquetfile.Options{FileBytes: 1}, schema, b1, b2)
	if len(files) != 2 {
		t.Fatalf("%d files, want 2", len(files))
	}
	db := duck(t)
	for _, file := range files {
		got := queryStrings(t, db, `SELECT path_in_schema, bool_or(dictionary_page_offset IS NOT NULL),
			bool_or(encodings LIKE '%DELTA_BINARY_PACKED%')
			FROM parquet_metadata(?) GROUP BY 1 ORDER BY 1`, f.path(file.Name))
		// id grows row after row: no dictionary, delta-encoded.
		want := [][]string{{"id", "false", "true"}, {"note", "false", "false"}, {"sparse", "true", "false"}, {"status", "true", "false"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: columns with a dictionary %v, want %v", file.Name, got, want)
		}
	}
	checkFiles(t, f, schema, files)
}
