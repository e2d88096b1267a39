package mysql_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/loadertest"
	"github.com/lake-engine/lake/loaders/mysql"
	"github.com/lake-engine/lake/localstack/testenv"
)

// testDB creates a database of its own for one test and drops it at the end.
// It returns the database's DSN and one connection to it for setting up
// data (one, so that session settings such as sql_mode stick).
func testDB(t *testing.T) (dsn string, admin *sql.DB) {
	t.Helper()
	dsn = testenv.NewMariaDB(t)
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("open the test database: %v", err)
	}
	admin.SetMaxOpenConns(1)
	admin.SetConnMaxLifetime(0)
	t.Cleanup(func() { admin.Close() })
	return dsn, admin
}

func exec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.ExecContext(context.Background(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// checkedAlloc fails the test if any Arrow buffer is still allocated once the
// test and its other cleanups are done.
func checkedAlloc(t *testing.T) memory.Allocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func openSource(t *testing.T, dsn string) *mysql.Source {
	t.Helper()
	src, err := mysql.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	src.Allocator = checkedAlloc(t)
	t.Cleanup(func() {
		if err := src.Close(); err != nil {
			t.Errorf("close source: %v", err)
		}
	})
	return src
}

func snapshot(t *testing.T, src *mysql.Source) loaders.Snapshot {
	t.Helper()
	snap, err := src.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	t.Cleanup(func() {
		if err := snap.Close(); err != nil {
			t.Errorf("close snapshot: %v", err)
		}
	})
	return snap
}

func TestTypeMapping(t *testing.T) {
	dsn, admin := testDB(t)
	// The values are written in +02:00; TIMESTAMPs must come back in UTC.
	exec(t, admin, "SET time_zone = '+02:00'")

	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	var (
		i8   = arrow.PrimitiveTypes.Int8
		i16  = arrow.PrimitiveTypes.Int16
		i32  = arrow.PrimitiveTypes.Int32
		i64  = arrow.PrimitiveTypes.Int64
		f32  = arrow.PrimitiveTypes.Float32
		f64  = arrow.PrimitiveTypes.Float64
		utf8 = arrow.BinaryTypes.String
		bin  = arrow.BinaryTypes.Binary
		date = arrow.FixedWidthTypes.Date32
		ts   = &arrow.TimestampType{Unit: arrow.Microsecond}
		tsz  = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	)
	tests := []struct {
		name   string
		decl   string   // the column's declared type
		values []string // SQL literals, one row each
		arrow  arrow.DataType
		source string
		want   []any
	}{
		{"tinyint", "tinyint", []string{"0", "-128", "127", "NULL"}, i8, "tinyint",
			[]any{int8(0), int8(-128), int8(127), nil}},
		{"bool is tinyint(1) and keeps any tinyint", "bool", []string{"true", "false", "2", "-128", "NULL"}, i8, "tinyint",
			[]any{int8(1), int8(0), int8(2), int8(-128), nil}},
		{"smallint", "smallint", []string{"-32768", "32767", "NULL"}, i16, "smallint",
			[]any{int16(-32768), int16(32767), nil}},
		{"mediumint", "mediumint", []string{"-8388608", "8388607", "NULL"}, i32, "mediumint",
			[]any{int32(-8388608), int32(8388607), nil}},
		{"int", "int", []string{"-2147483648", "2147483647", "0", "NULL"}, i32, "int",
			[]any{int32(math.MinInt32), int32(math.MaxInt32), int32(0), nil}},
		{"bigint", "bigint", []string{"-9223372036854775808", "9223372036854775807", "NULL"}, i64, "bigint",
			[]any{int64(math.MinInt64), int64(math.MaxInt64), nil}},
		{"tinyint unsigned", "tinyint unsigned", []string{"0", "255", "NULL"}, i16, "tinyint unsigned",
			[]any{int16(0), int16(255), nil}},
		{"smallint unsigned", "smallint unsigned", []string{"65535", "NULL"}, i32, "smallint unsigned",
			[]any{int32(65535), nil}},
		{"mediumint unsigned", "mediumint unsigned", []string{"16777215", "NULL"}, i32, "mediumint unsigned",
			[]any{int32(16777215), nil}},
		{"int unsigned", "int unsigned", []string{"4294967295", "0", "NULL"}, i64, "int unsigned",
			[]any{int64(4294967295), int64(0), nil}},
		{"bigint unsigned keeps values above 2^63-1", "bigint unsigned",
			[]string{"0", "9223372036854775807", "9223372036854775808", "18446744073709551615", "NULL"},
			dec(20, 0), "bigint unsigned",
			[]any{"0", "9223372036854775807", "9223372036854775808", "18446744073709551615", nil}},
		{"decimal(12,2)", "decimal(12,2)", []string{"0", "1234567890.12", "-0.01", "9999999999.99", "7.5", "NULL"},
			dec(12, 2), "decimal(12,2)",
			[]any{"0.00", "1234567890.12", "-0.01", "9999999999.99", "7.50", nil}},
		{"decimal(38,10) at full precision", "decimal(38,10)",
			[]string{"9999999999999999999999999999.9999999999", "-9999999999999999999999999999.9999999999", "0.0000000001", "1234567890123456789012345678.0123456789", "NULL"},
			dec(38, 10), "decimal(38,10)",
			[]any{"9999999999999999999999999999.9999999999", "-9999999999999999999999999999.9999999999", "0.0000000001", "1234567890123456789012345678.0123456789", nil}},
		{"decimal(38,0)", "decimal(38,0)", []string{"99999999999999999999999999999999999999", "-1", "0"},
			dec(38, 0), "decimal(38,0)",
			[]any{"99999999999999999999999999999999999999", "-1", "0"}},
		{"decimal(5,5)", "decimal(5,5)", []string{"0.12345", "-0.99999", "0"},
			dec(5, 5), "decimal(5,5)", []any{"0.12345", "-0.99999", "0.00000"}},
		{"decimal over 38 digits is exact text", "decimal(65,30)",
			[]string{"12345678901234567890123456789012345.123456789012345678901234567890", "-1.5", "NULL"},
			utf8, "decimal(65,30)",
			[]any{"12345678901234567890123456789012345.123456789012345678901234567890", "-1.500000000000000000000000000000", nil}},
		// The text protocol would print FLOAT with 6 digits (16777200, 0.123457).
		{"float keeps every bit", "float", []string{"1.5", "-3.25", "16777216", "0.1234567", "3.40282e38", "NULL"}, f32, "float",
			[]any{float32(1.5), float32(-3.25), float32(16777216), float32(0.1234567), float32(3.40282e38), nil}},
		{"double", "double", []string{"1.7976931348623157e308", "5e-324", "-0.1", "123456789.12345679", "NULL"}, f64, "double",
			[]any{math.MaxFloat64, 5e-324, -0.1, 123456789.12345679, nil}},
		{"bit(1)", "bit(1)", []string{"b'1'", "b'0'", "NULL"}, i64, "bit", []any{int64(1), int64(0), nil}},
		{"bit(10)", "bit(10)", []string{"b'1111111111'", "b'1'"}, i64, "bit", []any{int64(1023), int64(1)}},
		{"bit(64) up to 2^63-1", "bit(64)", []string{"b'0" + strings.Repeat("1", 63) + "'"}, i64, "bit", []any{int64(math.MaxInt64)}},
		{"year", "year", []string{"1901", "2155", "'0000'", "NULL"}, i16, "year", []any{int16(1901), int16(2155), int16(0), nil}},
		{"char(5) loses its trailing spaces, as MySQL returns it", "char(5)", []string{"'ab'", "'abcde'", "'ä'", "NULL"}, utf8, "char",
			[]any{"ab", "abcde", "ä", nil}},
		{"varchar with 4-byte utf8mb4", "varchar(40)", []string{"'héllo wörld ☃ 日本語 🎉'", "''", "'NULL'", "'line1\\nline2\\t\"quoted\" \\\\'", "NULL"}, utf8, "varchar",
			[]any{"héllo wörld ☃ 日本語 🎉", "", "NULL", "line1\nline2\t\"quoted\" \\", nil}},
		{"varchar in latin1 arrives as utf8", "varchar(10) CHARACTER SET latin1", []string{"'Zoë'", "NULL"}, utf8, "varchar", []any{"Zoë", nil}},
		// The result metadata has one type for every size of text and blob.
		{"tinytext", "tinytext", []string{"'a'"}, utf8, "text", []any{"a"}},
		{"text", "text", []string{"'🎉 emoji'", "NULL"}, utf8, "text", []any{"🎉 emoji", nil}},
		{"mediumtext", "mediumtext", []string{"'m'"}, utf8, "text", []any{"m"}},
		{"longtext", "longtext", []string{"REPEAT('x', 70000)"}, utf8, "text", []any{strings.Repeat("x", 70000)}},
		{"enum", "enum('happy','sad','ünïcode')", []string{"'happy'", "'ünïcode'", "NULL"}, utf8, "enum", []any{"happy", "ünïcode", nil}},
		{"set", "set('x','y','z')", []string{"'x,z'", "''", "NULL"}, utf8, "set", []any{"x,z", "", nil}},
		{"json (a longtext in MariaDB) keeps its text", "json", []string{`'{"b": 1,  "a": [1,2]}'`, "'null'", "NULL"}, utf8, "text",
			[]any{`{"b": 1,  "a": [1,2]}`, "null", nil}},
		{"binary(3) keeps its zero padding", "binary(3)", []string{"x'00ff10'", "'a'", "NULL"}, bin, "binary",
			[]any{[]byte{0x00, 0xff, 0x10}, []byte{'a', 0, 0}, nil}},
		{"varbinary", "varbinary(10)", []string{"x'00ff10'", "''", "NULL"}, bin, "varbinary", []any{[]byte{0x00, 0xff, 0x10}, []byte{}, nil}},
		{"tinyblob", "tinyblob", []string{"x'01'"}, bin, "blob", []any{[]byte{1}}},
		{"blob", "blob", []string{"x'deadbeef'", "NULL"}, bin, "blob", []any{[]byte{0xde, 0xad, 0xbe, 0xef}, nil}},
		{"mediumblob", "mediumblob", []string{"x'02'"}, bin, "blob", []any{[]byte{2}}},
		{"longblob", "longblob", []string{"x'03'"}, bin, "blob", []any{[]byte{3}}},
		{"date", "date", []string{"'2024-02-29'", "'1969-12-31'", "'1970-01-01'", "'1900-01-01'", "'1000-01-01'", "'2100-12-31'", "'9999-12-31'", "NULL"}, date, "date",
			[]any{"2024-02-29", "1969-12-31", "1970-01-01", "1900-01-01", "1000-01-01", "2100-12-31", "9999-12-31", nil}},
		{"datetime is naive", "datetime", []string{"'1969-07-20 20:17:40'", "'1000-01-01 00:00:00'", "'2038-01-19 03:14:08'", "'9999-12-31 23:59:59'", "NULL"},
			ts, "datetime",
			[]any{"1969-07-20 20:17:40", "1000-01-01 00:00:00", "2038-01-19 03:14:08", "9999-12-31 23:59:59", nil}},
		{"datetime(6)", "datetime(6)", []string{"'1900-01-01 00:00:00.000001'", "'2262-04-11 23:47:16.854776'", "'9999-12-31 23:59:59.999999'"},
			ts, "datetime(6)",
			[]any{"1900-01-01 00:00:00.000001", "2262-04-11 23:47:16.854776", "9999-12-31 23:59:59.999999"}},
		{"datetime(3)", "datetime(3)", []string{"'2024-01-01 00:00:00.123'", "'2024-01-01 00:00:00.5'"}, ts, "datetime(3)",
			[]any{"2024-01-01 00:00:00.123", "2024-01-01 00:00:00.5"}},
		{"timestamp is UTC", "timestamp NULL", []string{"'2024-03-10 12:00:00'", "'1970-01-01 02:00:01'", "'2038-01-19 05:14:07'", "NULL"},
			tsz, "timestamp",
			[]any{"2024-03-10 10:00:00", "1970-01-01 00:00:01", "2038-01-19 03:14:07", nil}},
		{"timestamp(6)", "timestamp(6) NULL", []string{"'2024-03-10 12:00:00.000001'"}, tsz, "timestamp(6)",
			[]any{"2024-03-10 10:00:00.000001"}},
	}
	for i, tt := range tests {
		table := fmt.Sprintf("type_%d", i)
		var rows []string
		for j, v := range tt.values {
			rows = append(rows, fmt.Sprintf("(%d, %s)", j+1, v))
		}
		exec(t, admin, fmt.Sprintf("CREATE TABLE %s (id int, v %s)", table, tt.decl))
		exec(t, admin, fmt.Sprintf("INSERT INTO %s (id, v) VALUES %s", table, strings.Join(rows, ", ")))
	}

	src := openSource(t, dsn)
	snap := snapshot(t, src)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := fmt.Sprintf("type_%d", i)
			sink, err := loadertest.Read(t, snap, loaders.Query{Name: table, Table: table}, loaders.ReadOptions{})
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if sink.Begins != 1 {
				t.Fatalf("Begin called %d times, want 1", sink.Begins)
			}
			f := sink.Schema.Field(1)
			if f.Name != "v" || !arrow.TypeEqual(f.Type, tt.arrow) || !f.Nullable {
				t.Errorf("field = %s: %s (nullable %v), want v: %s nullable", f.Name, f.Type, f.Nullable, tt.arrow)
			}
			if got, _ := f.Metadata.GetValue(loaders.MetaSourceType); got != tt.source {
				t.Errorf("field source type = %q, want %q", got, tt.source)
			}
			if c := sink.Cols[1]; c.Name != "v" || c.SourceType != tt.source || !arrow.TypeEqual(c.Arrow, tt.arrow) {
				t.Errorf("column = %+v, want v %q %s", c, tt.source, tt.arrow)
			}
			rows := sink.Rows(t)
			sort.Slice(rows, func(a, b int) bool { return rows[a][0].(int32) < rows[b][0].(int32) })
			var got []any
			for _, r := range rows {
				got = append(got, r[1])
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("values:\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

// A session time zone set in the DSN must not shift TIMESTAMPs: the
// snapshot reads them in UTC whatever the connection was told.
func TestTimestampsAreUTCWhateverTheDSNSays(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "SET time_zone = '+00:00'")
	exec(t, admin, "CREATE TABLE events (at timestamp NULL, naive datetime)")
	exec(t, admin, "INSERT INTO events VALUES ('2024-06-01 12:00:00', '2024-06-01 12:00:00')")
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+05:00'"
	src := openSource(t, cfg.FormatDSN())
	snap := snapshot(t, src)
	sink, err := loadertest.Read(t, snap, loaders.Query{Name: "events", Table: "events"}, loaders.ReadOptions{})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if got, want := sink.Rows(t), [][]any{{"2024-06-01 12:00:00", "2024-06-01 12:00:00"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
}

func TestValueErrorsNameTableColumnAndRow(t *testing.T) {
	dsn, admin := testDB(t)
	tests := []struct {
		name    string
		sqlMode string // lets the values in
		decl    string
		values  []string
		want    []string // parts of the error text
	}{
		{"zero date", "", "date", []string{"'2024-01-01'", "'0000-00-00'"}, []string{"bad.v: row 2", "0000-00-00", "zero date", "NULLIF(col, 0)"}},
		{"date with a zero month", "", "date", []string{"'2024-00-15'"}, []string{"bad.v: row 1", "2024-00-15", "zero date"}},
		{"datetime with a zero day", "", "datetime", []string{"'2024-05-01 10:00:00'", "'2024-05-01 10:00:00'", "'2024-05-00 10:00:00'"}, []string{"bad.v: row 3", "2024-05-00 10:00:00", "zero date"}},
		{"zero datetime", "", "datetime(6)", []string{"'0000-00-00 00:00:00'"}, []string{"bad.v: row 1", "0000-00-00 00:00:00", "zero date"}},
		{"zero timestamp", "", "timestamp NULL", []string{"NULL", "'0000-00-00 00:00:00'"}, []string{"bad.v: row 2", "zero date"}},
		{"invalid date", "ALLOW_INVALID_DATES", "date", []string{"'2024-02-31'"}, []string{"bad.v: row 1", "2024-02-31", "not a calendar date"}},
		{"bit(64) at or above 2^63", "", "bit(64)", []string{"b'1'", "b'1" + strings.Repeat("0", 63) + "'"}, []string{"bad.v: row 2", "does not fit int64", "CAST(col AS UNSIGNED)"}},
	}
	src := openSource(t, dsn)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec(t, admin, "SET sql_mode = '"+tt.sqlMode+"'")
			exec(t, admin, "DROP TABLE IF EXISTS bad")
			exec(t, admin, fmt.Sprintf("CREATE TABLE bad (id int AUTO_INCREMENT PRIMARY KEY, v %s)", tt.decl))
			for _, v := range tt.values {
				exec(t, admin, fmt.Sprintf("INSERT INTO bad (v) VALUES (%s)", v))
			}
			snap := snapshot(t, src)
			q := loaders.Query{Name: "bad", Table: "bad"}
			_, err := loadertest.Read(t, snap, q, loaders.ReadOptions{BatchRows: 1})
			if err == nil {
				t.Fatal("read succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			// The failed read must leave the snapshot usable for other tables.
			n, err := snap.Count(context.Background(), q)
			if err != nil || n != int64(len(tt.values)) {
				t.Errorf("count after failed read = %d, %v; want %d", n, err, len(tt.values))
			}
		})
	}
}

// The rule's way out, NULLIF(col, 0), turns whole zero dates into NULL.
func TestZeroDatesBecomeNullThroughNullif(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "SET sql_mode = ''")
	exec(t, admin, "CREATE TABLE legacy (id int, d date, dt datetime)")
	exec(t, admin, "INSERT INTO legacy VALUES (1, '0000-00-00', '0000-00-00 00:00:00'), (2, '2024-01-31', '2024-01-31 08:00:00')")
	src := openSource(t, dsn)
	snap := snapshot(t, src)
	sink, err := loadertest.Read(t, snap, loaders.Query{Name: "legacy", SQL: "SELECT id, NULLIF(d, 0) AS d, NULLIF(dt, 0) AS dt FROM legacy ORDER BY id"}, loaders.ReadOptions{})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	want := [][]any{{int32(1), nil, nil}, {int32(2), "2024-01-31", "2024-01-31 08:00:00"}}
	if got := sink.Rows(t); !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if sink.Cols[1].SourceType != "date" || sink.Cols[2].SourceType != "datetime" {
		t.Errorf("source types = %q, %q; want date, datetime", sink.Cols[1].SourceType, sink.Cols[2].SourceType)
	}
}

func TestUnsupportedTypeFailsBeforeReading(t *testing.T) {
	dsn, admin := testDB(t)
	tests := []struct {
		decl, value, source string
	}{
		{"time", "'12:00:00'", "time"},
		{"time(3)", "'-838:59:59.000'", "time"},
		{"point", "POINT(1, 2)", "geometry"},
		{"geometry", "ST_GeomFromText('LINESTRING(0 0, 1 1)')", "geometry"},
	}
	src := openSource(t, dsn)
	snap := snapshot(t, src)
	for i, tt := range tests {
		t.Run(tt.decl, func(t *testing.T) {
			table := fmt.Sprintf("odd_%d", i)
			exec(t, admin, fmt.Sprintf("CREATE TABLE %s (id int, v %s)", table, tt.decl))
			exec(t, admin, fmt.Sprintf("INSERT INTO %s VALUES (1, %s)", table, tt.value))
			// The snapshot began before the table existed: read a new one.
			snap := snapshot(t, src)
			sink, err := loadertest.Read(t, snap, loaders.Query{Name: "dwh.odd", Table: table}, loaders.ReadOptions{})
			var ute *loaders.UnsupportedTypeError
			if !errors.As(err, &ute) {
				t.Fatalf("read error = %v, want an *loaders.UnsupportedTypeError", err)
			}
			if ute.Table != "dwh.odd" || ute.Column != "v" || ute.Type != tt.source {
				t.Errorf("error = %+v, want table dwh.odd, column v, type %s", *ute, tt.source)
			}
			if sink.Begins != 0 || len(sink.Batches) != 0 {
				t.Errorf("sink got Begin %d times and %d batches, want none", sink.Begins, len(sink.Batches))
			}
		})
	}

	// Of a huge result only the metadata is read: the server is stopped,
	// not drained, and the snapshot goes on.
	start := time.Now()
	_, err := loadertest.Read(t, snap, loaders.Query{Name: "huge", SQL: "SELECT a.seq AS n, SEC_TO_TIME(b.seq) AS t FROM seq_1_to_10000 a, seq_1_to_10000 b"}, loaders.ReadOptions{})
	var ute *loaders.UnsupportedTypeError
	if !errors.As(err, &ute) || ute.Column != "t" {
		t.Fatalf("read error = %v, want an *loaders.UnsupportedTypeError for t", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("failing on the metadata took %s: the result was drained", d)
	}
	if n, err := snap.Count(context.Background(), loaders.Query{Name: "one", SQL: "SELECT 1"}); err != nil || n != 1 {
		t.Errorf("count after the failed read = %d, %v; want 1", n, err)
	}
	// A cast in a query is the way out.
	sink, err := loadertest.Read(t, snap, loaders.Query{Name: "cast", SQL: "SELECT CAST(TIME '12:34:56' AS CHAR) AS t"}, loaders.ReadOptions{})
	if err != nil {
		t.Fatalf("read of the cast: %v", err)
	}
	if got := sink.Rows(t); !reflect.DeepEqual(got, [][]any{{"12:34:56"}}) {
		t.Errorf("cast rows = %v", got)
	}
}

func TestQuerySource(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "CREATE TABLE orders (id bigint, amount decimal(10,2), status varchar(10))")
	exec(t, admin, "INSERT INTO orders VALUES (1, 10.50, 'paid'), (2, 3.00, 'open'), (3, 30.25, 'paid')")
	src := openSource(t, dsn)
	snap := snapshot(t, src)
	q := loaders.Query{Name: "paid", SQL: `SELECT id AS order_id, amount * 2 AS doubled, UPPER(status) AS status,
		NULL AS nothing, COUNT(*) OVER () AS n FROM orders WHERE status = 'paid' ORDER BY id;`}
	if n, err := snap.Count(context.Background(), q); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	sink, err := loadertest.Read(t, snap, q, loaders.ReadOptions{})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var names, sources []string
	for _, c := range sink.Cols {
		names, sources = append(names, c.Name), append(sources, c.SourceType)
	}
	if want := []string{"order_id", "doubled", "status", "nothing", "n"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns = %q, want %q", names, want)
	}
	if want := []string{"bigint", "decimal(11,2)", "varchar", "null", "bigint"}; !reflect.DeepEqual(sources, want) {
		t.Errorf("source types = %q, want %q", sources, want)
	}
	want := [][]any{{int64(1), "21.00", "PAID", nil, int64(2)}, {int64(3), "60.50", "PAID", nil, int64(2)}}
	if rows := sink.Rows(t); !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}

	if _, err := loadertest.Read(t, snap, loaders.Query{Name: "broken", SQL: "SELECT no_such_column FROM orders"}, loaders.ReadOptions{}); err == nil || !strings.Contains(err.Error(), "no_such_column") {
		t.Errorf("read of bad SQL = %v, want an error naming no_such_column", err)
	}
	if n, err := snap.Count(context.Background(), loaders.Query{Name: "orders", Table: "orders"}); err != nil || n != 3 {
		t.Errorf("count after a failed query = %d, %v; want 3", n, err)
	}
}

func TestQuotedNames(t *testing.T) {
	dsn, admin := testDB(t)
	other := testenv.NewMariaDB(t)
	ocfg, err := mysqldrv.ParseDSN(other)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, admin, fmt.Sprintf("CREATE TABLE `%s`.`Order` (`Select` int, `from` text, `Mixed Case` tinyint)", ocfg.DBName))
	exec(t, admin, fmt.Sprintf("INSERT INTO `%s`.`Order` VALUES (1, 'a', 1)", ocfg.DBName))
	exec(t, admin, "CREATE TABLE `user` (`group` int)")
	exec(t, admin, "INSERT INTO `user` VALUES (7), (8)")
	exec(t, admin, "CREATE TABLE `we``ird` (id int)")
	exec(t, admin, "INSERT INTO `we``ird` VALUES (1)")
	src := openSource(t, dsn)
	snap := snapshot(t, src)
	tests := []struct {
		table   string
		count   int64
		columns []string
		rows    [][]any
	}{
		{ocfg.DBName + ".Order", 1, []string{"Select", "from", "Mixed Case"}, [][]any{{int32(1), "a", int8(1)}}},
		{"user", 2, []string{"group"}, [][]any{{int32(7)}, {int32(8)}}},
		{"we`ird", 1, []string{"id"}, [][]any{{int32(1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			q := loaders.Query{Name: "t", Table: tt.table}
			n, err := snap.Count(context.Background(), q)
			if err != nil || n != tt.count {
				t.Fatalf("count = %d, %v; want %d", n, err, tt.count)
			}
			sink, err := loadertest.Read(t, snap, q, loaders.ReadOptions{})
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var names []string
			for _, f := range sink.Schema.Fields() {
				names = append(names, f.Name)
			}
			if !reflect.DeepEqual(names, tt.columns) {
				t.Errorf("columns = %q, want %q", names, tt.columns)
			}
			if rows := sink.Rows(t); !reflect.DeepEqual(rows, tt.rows) {
				t.Errorf("rows = %v, want %v", rows, tt.rows)
			}
		})
	}
}

func TestBatchesSplitAtBatchRows(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "CREATE TABLE ten (id int)")
	exec(t, admin, "INSERT INTO ten SELECT seq FROM seq_1_to_10")
	src := openSource(t, dsn)
	snap := snapshot(t, src)
	tests := []struct {
		name      string
		sql       string
		batchRows int
		sizes     []int64
	}{
		{"10 rows in batches of 3", "SELECT id FROM ten ORDER BY id", 3, []int64{3, 3, 3, 1}},
		{"9 rows in batches of 3 end without an empty batch", "SELECT id FROM ten WHERE id <= 9 ORDER BY id", 3, []int64{3, 3, 3}},
		{"1 row", "SELECT id FROM ten WHERE id = 1", 3, []int64{1}},
		{"default batch size", "SELECT id FROM ten ORDER BY id", 0, []int64{10}},
		{"batch of exactly all rows", "SELECT id FROM ten ORDER BY id", 10, []int64{10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := loadertest.ReadInBatches(t, snap, loaders.Query{Name: "ten", SQL: tt.sql}, loaders.ReadOptions{BatchRows: tt.batchRows}, tt.sizes)
			for i, r := range sink.Rows(t) {
				if r[0] != int32(i+1) {
					t.Fatalf("row %d = %v, want ids 1..n in order", i, r)
				}
			}
		})
	}
}

func TestBatchesEndAtBatchBytes(t *testing.T) {
	dsn, _ := testDB(t)
	snap := snapshot(t, openSource(t, dsn))
	loadertest.CheckBatchBytes(t, snap, func(t *testing.T, rows, width int) loaders.Query {
		return loaders.Query{Name: "wide", SQL: fmt.Sprintf("SELECT seq AS id, repeat('x', %d) AS pad FROM seq_1_to_%d ORDER BY seq", width, rows)}
	})
}

func TestSnapshotSeesOneConsistentState(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		countBefore bool // count once before the other connection writes
	}{
		{"count before and after a concurrent insert agree", true},
		{"snapshot is taken when opened, not at the first count", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn, admin := testDB(t)
			exec(t, admin, "CREATE TABLE events (id int) ENGINE=InnoDB")
			exec(t, admin, "INSERT INTO events SELECT seq FROM seq_1_to_5")
			exec(t, admin, "CREATE TABLE totals (n int) ENGINE=InnoDB")
			exec(t, admin, "INSERT INTO totals VALUES (5)")
			src := openSource(t, dsn)
			snap := snapshot(t, src)
			events := loaders.Query{Name: "events", Table: "events"}
			if tt.countBefore {
				if n, err := snap.Count(ctx, events); err != nil || n != 5 {
					t.Fatalf("first count = %d, %v; want 5", n, err)
				}
			}

			// Another connection commits new rows while the snapshot is open.
			exec(t, admin, "START TRANSACTION")
			exec(t, admin, "INSERT INTO events SELECT seq FROM seq_6_to_8")
			exec(t, admin, "UPDATE totals SET n = 8")
			exec(t, admin, "COMMIT")

			if n, err := snap.Count(ctx, events); err != nil || n != 5 {
				t.Errorf("count in snapshot = %d, %v; want 5", n, err)
			}
			sink, err := loadertest.Read(t, snap, events, loaders.ReadOptions{})
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if rows := sink.Rows(t); len(rows) != 5 {
				t.Errorf("read %d rows in snapshot, want 5", len(rows))
			}
			sink, err = loadertest.Read(t, snap, loaders.Query{Name: "totals", Table: "totals"}, loaders.ReadOptions{})
			if err != nil {
				t.Fatalf("read totals: %v", err)
			}
			if rows := sink.Rows(t); !reflect.DeepEqual(rows, [][]any{{int32(5)}}) {
				t.Errorf("totals in snapshot = %v, want [[5]]", rows)
			}

			fresh := snapshot(t, src)
			if n, err := fresh.Count(ctx, events); err != nil || n != 8 {
				t.Errorf("count in a new snapshot = %d, %v; want 8", n, err)
			}
		})
	}
}

func TestZeroRowsStillBegins(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "CREATE TABLE empty (id bigint, name varchar(20), amount decimal(9,3), at datetime(6))")
	src := openSource(t, dsn)
	snap := snapshot(t, src)
	q := loaders.Query{Name: "empty", Table: "empty"}
	if n, err := snap.Count(context.Background(), q); err != nil || n != 0 {
		t.Fatalf("count = %d, %v; want 0", n, err)
	}
	sink, err := loadertest.Read(t, snap, q, loaders.ReadOptions{})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if sink.Begins != 1 || len(sink.Batches) != 0 {
		t.Fatalf("Begin called %d times with %d batches, want 1 and 0", sink.Begins, len(sink.Batches))
	}
	want := []loaders.Column{
		{Name: "id", SourceType: "bigint", Arrow: arrow.PrimitiveTypes.Int64},
		{Name: "name", SourceType: "varchar", Arrow: arrow.BinaryTypes.String},
		{Name: "amount", SourceType: "decimal(9,3)", Arrow: &arrow.Decimal128Type{Precision: 9, Scale: 3}},
		{Name: "at", SourceType: "datetime(6)", Arrow: &arrow.TimestampType{Unit: arrow.Microsecond}},
	}
	if len(sink.Cols) != len(want) || sink.Schema.NumFields() != len(want) {
		t.Fatalf("got %d columns and %d fields, want %d", len(sink.Cols), sink.Schema.NumFields(), len(want))
	}
	for i, w := range want {
		c, f := sink.Cols[i], sink.Schema.Field(i)
		if c.Name != w.Name || c.SourceType != w.SourceType || !arrow.TypeEqual(c.Arrow, w.Arrow) {
			t.Errorf("column %d = %+v, want %+v", i, c, w)
		}
		if f.Name != w.Name || !arrow.TypeEqual(f.Type, w.Arrow) || !f.Nullable {
			t.Errorf("field %d = %s, want nullable %s: %s", i, f, w.Name, w.Arrow)
		}
	}
}

func TestConnectErrorsHideThePassword(t *testing.T) {
	ctx := context.Background()
	base := testenv.MariaDB(t)
	root, err := sql.Open("mysql", base)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	user := fmt.Sprintf("lake_pw_%08x", rand.Uint32())
	if _, err := root.ExecContext(ctx, fmt.Sprintf("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY 'Right-Pa55word'", user)); err != nil {
		t.Fatalf("create user: %v", err)
	}
	defer root.ExecContext(ctx, fmt.Sprintf("DROP USER '%s'@'127.0.0.1'", user))

	cfg, err := mysqldrv.ParseDSN(base)
	if err != nil {
		t.Fatal(err)
	}
	withPassword := func(addr, pw string) string {
		c := cfg.Clone()
		c.User, c.Passwd, c.Addr = user, pw, addr
		return c.FormatDSN()
	}
	if src, err := mysql.Open(ctx, withPassword(cfg.Addr, "Right-Pa55word")); err != nil {
		t.Fatalf("open with the right password: %v", err)
	} else {
		src.Close()
	}

	const secret = "Wr0ng-s3cret-Pa55"
	tests := []struct {
		name string
		dsn  string
	}{
		{"wrong password", withPassword(cfg.Addr, secret)},
		{"nothing listening", withPassword("127.0.0.1:1", secret)},
		{"unbalanced address", user + ":" + secret + "@tcp(127.0.0.1:3306/db"},
		{"bad parameter", user + ":" + secret + "@tcp(127.0.0.1:3306)/db?parseTime=maybe"},
		{"a URL instead of a DSN", "mysql://" + user + ":" + secret + "@127.0.0.1:3306/db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := mysql.Open(ctx, tt.dsn)
			if err == nil {
				src.Close()
				t.Fatal("open succeeded, want an error")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the password: %v", err)
			}
			if err := mysql.CheckDSN(tt.dsn); err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("CheckDSN error contains the password: %v", err)
			}
		})
	}
}

// failingSink fails its first Write.
type failingSink struct{ loadertest.Sink }

var errSinkFull = errors.New("sink is full")

func (s *failingSink) Write(arrow.RecordBatch) error { return errSinkFull }

func TestFailedReadStopsTheQueryAndKeepsTheSnapshot(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "SET sql_mode = ''")
	exec(t, admin, "CREATE TABLE small (id int) ENGINE=InnoDB")
	exec(t, admin, "INSERT INTO small VALUES (1), (2)")
	exec(t, admin, "CREATE TABLE zero (d date)")
	exec(t, admin, "INSERT INTO zero VALUES ('0000-00-00')")
	src := openSource(t, dsn)
	// A hundred million rows take many seconds to send: a read that drained
	// them after a failure, instead of stopping the server, would be far too
	// slow.
	const rows = "FROM seq_1_to_10000 AS a, seq_1_to_10000 AS b"
	tests := []struct {
		name    string
		sql     string
		sink    loaders.RecordSink
		wantErr []string
		is      error
	}{
		{"a value that cannot be stored", "SELECT IF(a.seq = 2 AND b.seq = 1, z.d, DATE '2024-01-01') AS v " + rows + ", zero AS z",
			&loadertest.Sink{}, []string{"huge.v: row ", "zero date"}, nil},
		{"a sink that fails", "SELECT a.seq AS v " + rows, &failingSink{}, []string{"sink is full"}, errSinkFull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := snapshot(t, src)
			// Written after the snapshot began: it must stay invisible.
			exec(t, admin, "INSERT INTO small VALUES (3)")
			defer exec(t, admin, "DELETE FROM small WHERE id = 3")
			start := time.Now()
			err := snap.Read(context.Background(), loaders.Query{Name: "huge", SQL: tt.sql}, loaders.ReadOptions{BatchRows: 1}, tt.sink)
			if cs, ok := tt.sink.(*loadertest.Sink); ok {
				cs.Release()
			}
			if err == nil {
				t.Fatal("read succeeded, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("read error = %v, want one containing %q", err, w)
				}
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("read error = %v, want one wrapping %v", err, tt.is)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("failed read took %s: the query was drained, not stopped", d)
			}
			small := loaders.Query{Name: "small", Table: "small"}
			if n, err := snap.Count(context.Background(), small); err != nil || n != 2 {
				t.Errorf("count after the failed read = %d, %v; want 2 (the snapshot's)", n, err)
			}
			sink, err := loadertest.Read(t, snap, small, loaders.ReadOptions{})
			if err != nil || len(sink.Rows(t)) != 2 {
				t.Errorf("read after the failed read: %v, %d rows; want 2", err, len(sink.Batches))
			}
		})
	}
}

// peakAllocator records the most memory allocated at once.
type peakAllocator struct {
	memory.Allocator
	cur, peak int
}

func (a *peakAllocator) Allocate(n int) []byte {
	a.cur += n
	a.peak = max(a.peak, a.cur)
	return a.Allocator.Allocate(n)
}

func (a *peakAllocator) Reallocate(n int, b []byte) []byte {
	a.cur += n - len(b)
	a.peak = max(a.peak, a.cur)
	return a.Allocator.Reallocate(n, b)
}

func (a *peakAllocator) Free(b []byte) {
	a.cur -= len(b)
	a.Allocator.Free(b)
}

// countingSink counts rows and keeps nothing.
type countingSink struct{ rows int64 }

func (s *countingSink) Begin(*arrow.Schema, []loaders.Column) error { return nil }
func (s *countingSink) Write(rec arrow.RecordBatch) error {
	s.rows += rec.NumRows()
	return nil
}

func TestMemoryIsBoundedByTheBatchNotTheTable(t *testing.T) {
	dsn, _ := testDB(t)
	src := openSource(t, dsn)
	alloc := &peakAllocator{Allocator: src.Allocator}
	src.Allocator = alloc
	snap := snapshot(t, src)
	// 200,000 rows of about 70 bytes are 14 MB; a batch of 1,000 rows is 70 kB.
	q := loaders.Query{Name: "wide", SQL: "SELECT seq AS id, REPEAT('x', 50) AS pad, seq / 7 AS ratio, NOW(6) AS at FROM seq_1_to_200000"}
	sink := &countingSink{}
	if err := snap.Read(context.Background(), q, loaders.ReadOptions{BatchRows: 1000}, sink); err != nil {
		t.Fatalf("read: %v", err)
	}
	if sink.rows != 200000 {
		t.Fatalf("read %d rows, want 200000", sink.rows)
	}
	if alloc.peak > 1<<20 {
		t.Errorf("peak Arrow memory = %d bytes, want under 1 MiB for batches of 1,000 rows", alloc.peak)
	}
	if alloc.cur != 0 {
		t.Errorf("%d bytes still allocated after the read", alloc.cur)
	}
}

func TestDecodingAllocatesOnlyWhatTheDriverBoxes(t *testing.T) {
	dsn, _ := testDB(t)
	src := openSource(t, dsn)
	// The checked allocator of the other tests allocates per buffer itself.
	src.Allocator = memory.NewGoAllocator()
	snap := snapshot(t, src)
	const rows = 100000
	// Nine columns; the driver boxes each non-NULL value into a
	// driver.Value (one allocation each, two for the date: its text and
	// the box), and the appenders must add nothing per row.
	q := loaders.Query{Name: "mixed", SQL: fmt.Sprintf(`SELECT seq + 1000 AS id, CAST(seq %% 30000 + 1000 AS UNSIGNED) AS big,
		REPEAT('x', 50) AS pad, CAST(seq AS DECIMAL(12,2)) AS amount, seq / 7 AS ratio, CAST(seq AS DOUBLE) AS f,
		CAST('2024-01-02' AS DATE) AS day, NULL AS nothing, CAST(seq AS CHAR) AS label
		FROM seq_1_to_%d`, rows)}
	allocs := testing.AllocsPerRun(1, func() {
		sink := &countingSink{}
		if err := snap.Read(context.Background(), q, loaders.ReadOptions{}, sink); err != nil {
			t.Fatalf("read: %v", err)
		}
		if sink.rows != rows {
			t.Fatalf("read %d rows, want %d", sink.rows, rows)
		}
	})
	// 8 non-NULL values, one of them a date: 9 per row, plus the builders'
	// growth, which is per batch.
	if perRow := allocs / rows; perRow > 9.1 {
		t.Errorf("%.2f allocations per row, want at most 9 (the driver's)", perRow)
	}
}
