package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/loadertest"
	"github.com/lake-engine/lake/loaders/sqlite"
)

// newDB creates a SQLite file in a temporary folder with a writable
// connection of its own, runs stmts and returns the file's path.
func newDB(t *testing.T, stmts ...string) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shop.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path, db
}

func openSnapshot(t *testing.T, path string) loaders.Snapshot {
	t.Helper()
	src, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	snap, err := src.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { snap.Close() })
	return snap
}

// collector is a RecordSink that keeps every value as a string.
type collector struct {
	begins  int
	schema  *arrow.Schema
	cols    []loaders.Column
	batches []int
	rows    [][]string
}

func (c *collector) Begin(schema *arrow.Schema, cols []loaders.Column) error {
	c.begins++
	c.schema, c.cols = schema, cols
	return nil
}

func (c *collector) Write(rec arrow.RecordBatch) error {
	c.batches = append(c.batches, int(rec.NumRows()))
	for r := 0; r < int(rec.NumRows()); r++ {
		row := make([]string, rec.NumCols())
		for i, col := range rec.Columns() {
			row[i] = format(col, r)
		}
		c.rows = append(c.rows, row)
	}
	return nil
}

// column returns the values of column i, row by row.
func (c *collector) column(i int) []string {
	var out []string
	for _, r := range c.rows {
		out = append(out, r[i])
	}
	return out
}

func format(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return "x" + hex.EncodeToString(a.Value(i))
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	case *array.Date32:
		return a.Value(i).ToTime().Format(time.DateOnly)
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC().Format("2006-01-02 15:04:05.999999")
	case *array.Decimal128:
		return a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
	}
	return "unexpected array " + a.DataType().String()
}

func TestDeclaredTypeMapping(t *testing.T) {
	tests := []struct {
		declared  string
		values    string // SQL values, one row each
		wantArrow string
		want      []string
	}{
		{"INTEGER", "(1),(-9223372036854775808),('42'),(NULL)", "int64", []string{"1", "-9223372036854775808", "42", "NULL"}},
		{"BIGINT", "(9223372036854775807)", "int64", []string{"9223372036854775807"}},
		{"UNSIGNED BIG INT", "(7)", "int64", []string{"7"}},
		{"SMALLINT", "(-3)", "int64", []string{"-3"}},
		{"REAL", "(1.5),(3),(NULL)", "float64", []string{"1.5", "3", "NULL"}},
		{"DOUBLE PRECISION", "(-2.25e10)", "float64", []string{"-2.25e+10"}},
		{"FLOAT", "(0.1)", "float64", []string{"0.1"}},
		{"TEXT", "('héllo ✓ 日本'),(''),(NULL)", "utf8", []string{"héllo ✓ 日本", "", "NULL"}},
		{"VARCHAR(20)", "('abc'),(12)", "utf8", []string{"abc", "12"}},
		{"NCHAR(3)", "('xyz')", "utf8", []string{"xyz"}},
		{"CLOB", "('long')", "utf8", []string{"long"}},
		{"BLOB", "(x'00ff10'),(x''),('text'),(NULL)", "binary", []string{"x00ff10", "x", "x74657874", "NULL"}},
		{"BOOLEAN", "(1),(0),(TRUE),('false'),(NULL)", "bool", []string{"true", "false", "true", "false", "NULL"}},
		{"BOOL", "(0)", "bool", []string{"false"}},
		{"DATE", "('2024-02-29'),('1969-07-20'),('0001-01-01'),(NULL)", "date32", []string{"2024-02-29", "1969-07-20", "0001-01-01", "NULL"}},
		{"DATETIME", "('2024-01-02 03:04:05'),('2024-01-02T03:04:05.123456'),(1700000000),('1969-12-31 23:59:59.5'),('2038-01-19 03:14:08'),(NULL)",
			"timestamp[us]", []string{"2024-01-02 03:04:05", "2024-01-02 03:04:05.123456", "2023-11-14 22:13:20", "1969-12-31 23:59:59.5", "2038-01-19 03:14:08", "NULL"}},
		{"TIMESTAMP", "('2024-01-02 03:04'),('2024-01-02'),('2024-01-02 03:04:05+02:00'),('2024-01-02T03:04:05Z'),(-1)",
			"timestamp[us]", []string{"2024-01-02 03:04:00", "2024-01-02 00:00:00", "2024-01-02 01:04:05", "2024-01-02 03:04:05", "1969-12-31 23:59:59"}},
		{"timestamp(6)", "('2024-05-06 07:08:09.000001')", "timestamp[us]", []string{"2024-05-06 07:08:09.000001"}},
		{"DECIMAL(12,2)", "(12.34),(100),('-0.5'),(0.125),(9999999999.99),(-0.004),(NULL)", "decimal(12, 2)",
			[]string{"12.34", "100.00", "-0.50", "0.13", "9999999999.99", "0.00", "NULL"}},
		{"NUMERIC(20,4)", "(922337203685477),(1e15),(-1234.56785)", "decimal(20, 4)",
			[]string{"922337203685477.0000", "1000000000000000.0000", "-1234.5679"}},
		{"decimal(38,10)", "(0.1),(-123456789.0000000001)", "decimal(38, 10)", []string{"0.1000000000", "-123456789.0000000000"}},
		{"DECIMAL(5)", "(12345)", "decimal(5, 0)", []string{"12345"}},
		{"NUMERIC", "(12.5),(3),('abc')", "utf8", []string{"12.5", "3", "abc"}},
		{"JSON", `('{"a":1}')`, "utf8", []string{`{"a":1}`}},
		{"", "('x'),(42),(1.5),(2460000.5),(1e300),(NULL)", "utf8", []string{"x", "42", "1.5", "2460000.5", "1e+300", "NULL"}},
	}
	for _, tt := range tests {
		t.Run(tt.declared, func(t *testing.T) {
			path, _ := newDB(t,
				"CREATE TABLE t (v "+tt.declared+")",
				"INSERT INTO t (v) VALUES "+tt.values)
			snap := openSnapshot(t, path)
			var c collector
			if err := snap.Read(context.Background(), loaders.Query{Name: "t", Table: "t"}, loaders.ReadOptions{}, &c); err != nil {
				t.Fatal(err)
			}
			if got := c.schema.Field(0).Type.String(); got != tt.wantArrow {
				t.Errorf("arrow type = %s, want %s", got, tt.wantArrow)
			}
			if got := c.column(0); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("values = %q, want %q", got, tt.want)
			}
			wantSource := strings.ToUpper(tt.declared)
			if c.cols[0].SourceType != wantSource || c.cols[0].Name != "v" || c.cols[0].Arrow.String() != tt.wantArrow {
				t.Errorf("column = %+v, want v %s %s", c.cols[0], wantSource, tt.wantArrow)
			}
			if md, _ := c.schema.Field(0).Metadata.GetValue(loaders.MetaSourceType); md != wantSource {
				t.Errorf("field metadata %s = %q, want %q", loaders.MetaSourceType, md, wantSource)
			}
			if !c.schema.Field(0).Nullable {
				t.Error("field is not nullable")
			}
		})
	}
}

func TestQuerySource(t *testing.T) {
	path, _ := newDB(t,
		"CREATE TABLE orders (id INTEGER PRIMARY KEY, amount DECIMAL(12,2), created_at TIMESTAMP)",
		"INSERT INTO orders VALUES (1, 10.5, '2024-01-01 10:00:00'), (2, 20, '2024-01-02 11:00:00'), (3, 30.25, '2024-01-03 12:00:00')")
	snap := openSnapshot(t, path)
	q := loaders.Query{Name: "big_orders", SQL: "SELECT id, amount, created_at, amount * 2 AS doubled FROM orders WHERE id > 1 ORDER BY id -- the big ones\n;\n"}

	n, err := snap.Count(context.Background(), q)
	if err != nil || n != 2 {
		t.Fatalf("Count = %d, %v, want 2", n, err)
	}
	var c collector
	if err := snap.Read(context.Background(), q, loaders.ReadOptions{}, &c); err != nil {
		t.Fatal(err)
	}
	if got := c.schema.String(); !strings.Contains(got, "id: type=int64") || !strings.Contains(got, "amount: type=decimal(12, 2)") ||
		!strings.Contains(got, "created_at: type=timestamp[us]") || !strings.Contains(got, "doubled: type=utf8") {
		t.Errorf("schema = %s, want id int64, amount decimal(12, 2), created_at timestamp[us], doubled utf8", got)
	}
	want := [][]string{
		{"2", "20.00", "2024-01-02 11:00:00", "40"},
		{"3", "30.25", "2024-01-03 12:00:00", "60.5"},
	}
	if len(c.rows) != 2 || strings.Join(c.rows[0], ",") != strings.Join(want[0], ",") || strings.Join(c.rows[1], ",") != strings.Join(want[1], ",") {
		t.Errorf("rows = %q, want %q", c.rows, want)
	}
}

func TestQuotedIdentifiers(t *testing.T) {
	path, _ := newDB(t,
		`CREATE TABLE "Order ""Items""" ("select" INTEGER, "Mixed Case" TEXT)`,
		`INSERT INTO "Order ""Items""" VALUES (1, 'a'), (2, 'b')`)
	snap := openSnapshot(t, path)
	for _, table := range []string{`Order "Items"`, `main.Order "Items"`} {
		q := loaders.Query{Name: "items", Table: table}
		n, err := snap.Count(context.Background(), q)
		if err != nil || n != 2 {
			t.Errorf("Count(%s) = %d, %v, want 2", table, n, err)
		}
		var c collector
		if err := snap.Read(context.Background(), q, loaders.ReadOptions{}, &c); err != nil {
			t.Fatalf("Read(%s): %v", table, err)
		}
		if c.cols[0].Name != "select" || c.cols[1].Name != "Mixed Case" || len(c.rows) != 2 {
			t.Errorf("Read(%s) columns %+v, %d rows; want select, Mixed Case and 2 rows", table, c.cols, len(c.rows))
		}
	}
}

func TestReadStreamsInBatches(t *testing.T) {
	tests := []struct {
		name        string
		rows        int
		batchRows   int
		wantBatches []int
	}{
		{"full batches and a rest", 10, 3, []int{3, 3, 3, 1}},
		{"exact multiple", 6, 3, []int{3, 3}},
		{"no rows still begins", 0, 3, nil},
		{"default batch size", 5, 0, []int{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, db := newDB(t, "CREATE TABLE t (id INTEGER)")
			for i := 0; i < tt.rows; i++ {
				if _, err := db.Exec("INSERT INTO t VALUES (?)", i); err != nil {
					t.Fatal(err)
				}
			}
			snap := openSnapshot(t, path)
			var c collector
			err := snap.Read(context.Background(), loaders.Query{Name: "t", Table: "t"}, loaders.ReadOptions{BatchRows: tt.batchRows}, &c)
			if err != nil {
				t.Fatal(err)
			}
			if c.begins != 1 {
				t.Errorf("Begin called %d times, want 1", c.begins)
			}
			if strconvInts(c.batches) != strconvInts(tt.wantBatches) {
				t.Errorf("batches = %v, want %v", c.batches, tt.wantBatches)
			}
		})
	}
}

func TestBatchesEndAtBatchBytes(t *testing.T) {
	// The snapshot sees the tables of when it began: make every table
	// CheckBatchBytes asks for first.
	path, db := newDB(t)
	for _, width := range []int{1000, loaders.DefaultBatchBytes / 4} {
		table := fmt.Sprintf("wide_%d", width)
		if _, err := db.Exec("CREATE TABLE " + table + " (id INTEGER, pad TEXT)"); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 10; i++ {
			if _, err := db.Exec("INSERT INTO "+table+" VALUES (?, ?)", i, strings.Repeat("x", width)); err != nil {
				t.Fatal(err)
			}
		}
	}
	snap := openSnapshot(t, path)
	loadertest.CheckBatchBytes(t, snap, func(t *testing.T, rows, width int) loaders.Query {
		return loaders.Query{Name: "wide", SQL: fmt.Sprintf("SELECT id, pad FROM wide_%d WHERE id <= %d ORDER BY id", width, rows)}
	})
}

func strconvInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func TestSnapshotIsConsistentInWALMode(t *testing.T) {
	path, writer := newDB(t,
		"PRAGMA journal_mode=WAL",
		"CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT)",
		"INSERT INTO orders VALUES (1, 'new'), (2, 'new'), (3, 'paid')")
	src, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	q := loaders.Query{Name: "orders", Table: "orders"}

	before, err := src.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer before.Close()
	if n, err := before.Count(ctx, q); err != nil || n != 3 {
		t.Fatalf("Count before = %d, %v, want 3", n, err)
	}

	// Another connection changes the database and commits while the
	// snapshot is open: WAL lets it.
	if _, err := writer.Exec("INSERT INTO orders VALUES (4, 'new')"); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec("UPDATE orders SET status = 'shipped' WHERE id = 1"); err != nil {
		t.Fatal(err)
	}

	if n, err := before.Count(ctx, q); err != nil || n != 3 {
		t.Errorf("Count in the old snapshot = %d, %v, want 3", n, err)
	}
	var c collector
	if err := before.Read(ctx, q, loaders.ReadOptions{}, &c); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.column(1), ","); got != "new,new,paid" {
		t.Errorf("statuses in the old snapshot = %s, want new,new,paid", got)
	}

	after, err := src.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer after.Close()
	if n, err := after.Count(ctx, q); err != nil || n != 4 {
		t.Errorf("Count in a new snapshot = %d, %v, want 4", n, err)
	}
	c = collector{}
	if err := after.Read(ctx, q, loaders.ReadOptions{}, &c); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.column(1), ","); got != "shipped,new,paid,new" {
		t.Errorf("statuses in a new snapshot = %s, want shipped,new,paid,new", got)
	}
}

func TestSnapshotBlocksWritersInRollbackJournalMode(t *testing.T) {
	path, writer := newDB(t,
		"PRAGMA journal_mode=DELETE",
		"PRAGMA busy_timeout=0",
		"CREATE TABLE orders (id INTEGER PRIMARY KEY)",
		"INSERT INTO orders VALUES (1)")
	src, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	snap, err := src.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec("INSERT INTO orders VALUES (2)"); err == nil {
		t.Error("a writer committed while a snapshot held the shared lock")
	}
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec("INSERT INTO orders VALUES (3)"); err != nil {
		t.Errorf("writer after the snapshot closed: %v", err)
	}
}

func TestOpenPathWithURICharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my shop #1?%")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path, _ := newDB(t, "CREATE TABLE t (id INTEGER)", "INSERT INTO t VALUES (1), (2)")
	moved := filepath.Join(dir, "shop & co.db")
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	snap := openSnapshot(t, moved)
	if n, err := snap.Count(context.Background(), loaders.Query{Name: "t", Table: "t"}); err != nil || n != 2 {
		t.Errorf("Count = %d, %v, want 2", n, err)
	}
}

func TestOpenMissingFileFailsWithoutCreatingIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.db")
	_, err := sqlite.Open(context.Background(), path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open error = %v, want one wrapping fs.ErrNotExist and naming %s", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open created %s", path)
	}
}

func TestOpenRejectsAFileThatIsNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open error = %v, want one naming %s", err, path)
	}
}

func TestSourceIsReadOnly(t *testing.T) {
	path, _ := newDB(t, "CREATE TABLE t (id INTEGER)")
	snap := openSnapshot(t, path)
	// A query source is run as written, so a write attempt must be refused
	// by the read-only connection itself.
	err := snap.Read(context.Background(), loaders.Query{Name: "t", SQL: "INSERT INTO t VALUES (1) RETURNING id"}, loaders.ReadOptions{}, &collector{})
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "readonly") {
		t.Fatalf("write through the source: error = %v, want a read-only error", err)
	}
}

func TestValueThatDoesNotFitItsDeclaredType(t *testing.T) {
	tests := []struct {
		declared string
		bad      string // second row's SQL value; the first is NULL
		want     string
	}{
		{"INTEGER", "'abc'", "t.v: row 2: value 'abc' (text) does not fit declared type INTEGER"},
		{"INTEGER", "1.5", "t.v: row 2: value 1.5 (real) does not fit declared type INTEGER"},
		{"REAL", "'n/a'", "t.v: row 2: value 'n/a' (text) does not fit declared type REAL"},
		{"TEXT", "x'ff00'", "t.v: row 2: value x'ff00' (blob) does not fit declared type TEXT: blob is not UTF-8 text"},
		{"BLOB", "42", "t.v: row 2: value 42 (integer) does not fit declared type BLOB"},
		{"BOOLEAN", "2", "t.v: row 2: value 2 (integer) does not fit declared type BOOLEAN: want 0 or 1"},
		{"DATE", "'2024-02-30'", "t.v: row 2: value '2024-02-30' (text) does not fit declared type DATE: want 'YYYY-MM-DD'"},
		{"DATE", "'2024-02-03 10:00:00'", "t.v: row 2: value '2024-02-03 10:00:00' (text) does not fit declared type DATE: a date has no time of day"},
		{"DATE", "20240203", "t.v: row 2: value 20240203 (integer) does not fit declared type DATE"},
		{"DATETIME", "'yesterday'", "t.v: row 2: value 'yesterday' (text) does not fit declared type DATETIME"},
		{"TIMESTAMP", "'2024-01-02 03:04:05.123456789'", "finer than microseconds"},
		{"DATETIME", "2460000.5", "t.v: row 2: value 2460000.5 (real) does not fit declared type DATETIME"},
		{"DECIMAL(5,2)", "'12a'", "t.v: row 2: value '12a' (text) does not fit declared type DECIMAL(5,2): not a number"},
		{"DECIMAL(5,2)", "1234.5", "t.v: row 2: value 1234.5 (real) does not fit declared type DECIMAL(5,2): more than 5 digits"},
		{"DECIMAL(5,2)", "999.995", "t.v: row 2: value 999.995 (real) does not fit declared type DECIMAL(5,2): more than 5 digits"},
		{"", "x'ff'", "t.v: row 2: value x'ff' (blob) does not fit declared type (none): blob is not UTF-8 text"},
	}
	for _, tt := range tests {
		t.Run(tt.declared+" "+tt.bad, func(t *testing.T) {
			path, _ := newDB(t,
				"CREATE TABLE t (v "+tt.declared+")",
				"INSERT INTO t (v) VALUES (NULL), ("+tt.bad+")")
			snap := openSnapshot(t, path)
			err := snap.Read(context.Background(), loaders.Query{Name: "t", Table: "t"}, loaders.ReadOptions{}, &collector{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestUnsupportedDecimalFailsBeforeAnyRow(t *testing.T) {
	path, _ := newDB(t,
		"CREATE TABLE t (id INTEGER, v DECIMAL(50,2))",
		"INSERT INTO t VALUES (1, 2)")
	snap := openSnapshot(t, path)
	var c collector
	err := snap.Read(context.Background(), loaders.Query{Name: "t", Table: "t"}, loaders.ReadOptions{}, &c)
	var unsupported *loaders.UnsupportedTypeError
	if !errors.As(err, &unsupported) || unsupported.Table != "t" || unsupported.Column != "v" || unsupported.Type != "DECIMAL(50,2)" {
		t.Fatalf("Read error = %#v, want UnsupportedTypeError for t.v DECIMAL(50,2)", err)
	}
	if c.begins != 0 {
		t.Error("sink.Begin was called before the type error")
	}
}

func TestCountNeedsExactlyOneOfTableAndSQL(t *testing.T) {
	path, _ := newDB(t, "CREATE TABLE t (id INTEGER)")
	snap := openSnapshot(t, path)
	for _, q := range []loaders.Query{{Name: "none"}, {Name: "both", Table: "t", SQL: "SELECT 1"}} {
		if _, err := snap.Count(context.Background(), q); err == nil {
			t.Errorf("Count(%+v) succeeded", q)
		}
	}
}
