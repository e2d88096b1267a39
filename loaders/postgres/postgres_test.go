package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/loadertest"
	"github.com/lake-engine/lake/loaders/postgres"
	"github.com/lake-engine/lake/localstack/testenv"
)

// testDB creates a database of its own for one test and drops it at the end.
// It returns the database's URL and a connection to it for setting up data.
func testDB(t *testing.T) (dsn string, admin *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	dsn = testenv.NewPostgresDB(t)
	var err error
	admin, err = pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to the test database: %v", err)
	}
	t.Cleanup(func() { admin.Close(ctx) })
	return dsn, admin
}

func exec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// checkedAlloc fails the test if any Arrow buffer is still allocated once the
// test and its other cleanups are done.
func checkedAlloc(t *testing.T) memory.Allocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func openSource(t *testing.T, dsn string) *postgres.Source {
	t.Helper()
	src, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	src.Allocator = checkedAlloc(t)
	t.Cleanup(func() { src.Close() })
	return src
}

func snapshot(t *testing.T, src *postgres.Source) loaders.Snapshot {
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
	exec(t, admin, `CREATE TYPE mood AS ENUM ('happy', 'sad', 'ünïcode')`)
	exec(t, admin, `CREATE DOMAIN posint AS integer CHECK (VALUE > 0)`)
	exec(t, admin, `CREATE DOMAIN amount AS numeric(12,2)`)
	exec(t, admin, `CREATE DOMAIN email AS text`)
	exec(t, admin, `CREATE EXTENSION citext`)

	list := arrow.ListOf
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	var (
		i16   = arrow.PrimitiveTypes.Int16
		i32   = arrow.PrimitiveTypes.Int32
		i64   = arrow.PrimitiveTypes.Int64
		f32   = arrow.PrimitiveTypes.Float32
		f64   = arrow.PrimitiveTypes.Float64
		boolT = arrow.FixedWidthTypes.Boolean
		utf8  = arrow.BinaryTypes.String
		bin   = arrow.BinaryTypes.Binary
		date  = arrow.FixedWidthTypes.Date32
		ts    = &arrow.TimestampType{Unit: arrow.Microsecond}
		tstz  = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	)
	tests := []struct {
		name   string
		decl   string   // the column's declared type
		values []string // SQL literals, one row each
		arrow  arrow.DataType
		source string
		want   []any
	}{
		{"smallint", "smallint", []string{"0", "-32768", "32767", "NULL"}, i16, "smallint",
			[]any{int16(0), int16(-32768), int16(32767), nil}},
		{"integer", "integer", []string{"42", "-2147483648", "2147483647", "NULL"}, i32, "integer",
			[]any{int32(42), int32(-2147483648), int32(2147483647), nil}},
		{"bigint", "bigint", []string{"-9223372036854775808", "9223372036854775807", "0", "NULL"}, i64, "bigint",
			[]any{int64(math.MinInt64), int64(math.MaxInt64), int64(0), nil}},
		{"numeric(12,2)", "numeric(12,2)", []string{"0", "1234567890.12", "-0.01", "9999999999.99", "7.5", "NULL"},
			dec(12, 2), "numeric(12,2)",
			[]any{"0.00", "1234567890.12", "-0.01", "9999999999.99", "7.50", nil}},
		{"numeric(38,10) at full precision", "numeric(38,10)",
			[]string{"9999999999999999999999999999.9999999999", "-9999999999999999999999999999.9999999999", "0.0000000001", "1234567890123456789012345678.0123456789", "NULL"},
			dec(38, 10), "numeric(38,10)",
			[]any{"9999999999999999999999999999.9999999999", "-9999999999999999999999999999.9999999999", "0.0000000001", "1234567890123456789012345678.0123456789", nil}},
		{"numeric(38,0)", "numeric(38,0)", []string{"99999999999999999999999999999999999999", "-1", "0"},
			dec(38, 0), "numeric(38,0)",
			[]any{"99999999999999999999999999999999999999", "-1", "0"}},
		{"numeric without precision is exact text", "numeric",
			[]string{"1234567890123456789012345678901234567890.0123456789", "-0.000001", "1e-20", "100", "1.50", "0", "0.0", "10000", "12345.678", "1e100", "'NaN'", "'Infinity'", "'-Infinity'", "NULL"},
			utf8, "numeric",
			[]any{"1234567890123456789012345678901234567890.0123456789", "-0.000001", "0.00000000000000000001", "100", "1.50", "0", "0.0", "10000", "12345.678",
				"10000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "NaN", "Infinity", "-Infinity", nil}},
		{"numeric with precision over 38 is exact text", "numeric(50,5)",
			[]string{"123.4", "-99999999999999999999999999999999999999999999.99999", "NULL"},
			utf8, "numeric(50,5)",
			[]any{"123.40000", "-99999999999999999999999999999999999999999999.99999", nil}},
		{"numeric with negative scale is exact text", "numeric(5,-2)", []string{"12345", "-50"},
			utf8, "numeric(5,-2)", []any{"12300", "-100"}},
		{"real", "real", []string{"1.5", "-3.25", "3.4028235e38", "'Infinity'", "'-Infinity'", "'NaN'", "NULL"}, f32, "real",
			[]any{float32(1.5), float32(-3.25), float32(math.MaxFloat32), float32(math.Inf(1)), float32(math.Inf(-1)), "NaN", nil}},
		{"double precision", "double precision", []string{"1.7976931348623157e308", "5e-324", "-0.1", "'NaN'", "NULL"}, f64, "double precision",
			[]any{math.MaxFloat64, 5e-324, -0.1, "NaN", nil}},
		{"boolean", "boolean", []string{"true", "false", "NULL"}, boolT, "boolean", []any{true, false, nil}},
		{"text", "text", []string{"'hello'", "''", `E'line1\nline2\t"quoted" \\'`, "'héllo wörld ☃ 日本語 🎉'", "'NULL'", "NULL"}, utf8, "text",
			[]any{"hello", "", "line1\nline2\t\"quoted\" \\", "héllo wörld ☃ 日本語 🎉", "NULL", nil}},
		{"varchar(20)", "varchar(20)", []string{"'abc'", "'ünïcödé'", "NULL"}, utf8, "character varying(20)", []any{"abc", "ünïcödé", nil}},
		{"varchar", "varchar", []string{"'abc'"}, utf8, "character varying", []any{"abc"}},
		{"char(5) keeps its padding", "char(5)", []string{"'ab'", "'abcde'", "'ä'", "NULL"}, utf8, "character(5)",
			[]any{"ab   ", "abcde", "ä    ", nil}},
		{"bpchar", "bpchar", []string{"'ab '", "NULL"}, utf8, "bpchar", []any{"ab ", nil}},
		{"name", "name", []string{"'pg_class'"}, utf8, "name", []any{"pg_class"}},
		{"citext", "citext", []string{"'Hello'", "NULL"}, utf8, "citext", []any{"Hello", nil}},
		{"date", "date", []string{"'2024-02-29'", "'1969-12-31'", "'1970-01-01'", "'1900-01-01'", "'2100-12-31'", "'0001-01-01'", "'9999-12-31'", "NULL"}, date, "date",
			[]any{"2024-02-29", "1969-12-31", "1970-01-01", "1900-01-01", "2100-12-31", "0001-01-01", "9999-12-31", nil}},
		{"timestamp", "timestamp", []string{"'1969-07-20 20:17:40'", "'1900-01-01 00:00:00.000001'", "'1970-01-01 00:00:00'", "'2038-01-19 03:14:08'", "'2262-04-11 23:47:16.854776'", "'9999-12-31 23:59:59.999999'", "NULL"},
			ts, "timestamp without time zone",
			[]any{"1969-07-20 20:17:40", "1900-01-01 00:00:00.000001", "1970-01-01 00:00:00", "2038-01-19 03:14:08", "2262-04-11 23:47:16.854776", "9999-12-31 23:59:59.999999", nil}},
		{"timestamp(3)", "timestamp(3)", []string{"'2024-01-01 00:00:00.1234'"}, ts, "timestamp(3) without time zone", []any{"2024-01-01 00:00:00.123"}},
		{"timestamptz", "timestamptz", []string{"'2024-03-10 12:00:00+02'", "'1960-01-01 00:00:00.5-05:30'", "'2100-06-30 23:59:59.999999Z'", "NULL"},
			tstz, "timestamp with time zone",
			[]any{"2024-03-10 10:00:00", "1960-01-01 05:30:00.5", "2100-06-30 23:59:59.999999", nil}},
		{"uuid is canonical lower case", "uuid", []string{"'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'", "'00000000-0000-0000-0000-000000000000'", "'{ffffffff-ffff-ffff-ffff-ffffffffffff}'", "NULL"},
			utf8, "uuid",
			[]any{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", nil}},
		{"json keeps its text", "json", []string{`'{"b": 1,  "a": [1,2]}'`, "'null'", "NULL"}, utf8, "json",
			[]any{`{"b": 1,  "a": [1,2]}`, "null", nil}},
		{"jsonb as Postgres prints it", "jsonb", []string{`'{"b": 1,  "a": [1,2]}'`, `'"snow ☃"'`, "'null'", "'[]'", `'{"k": 1.50}'`, "NULL"}, utf8, "jsonb",
			[]any{`{"a": [1, 2], "b": 1}`, `"snow ☃"`, "null", "[]", `{"k": 1.50}`, nil}},
		{"bytea", "bytea", []string{`'\x00ff10'`, "''", "NULL"}, bin, "bytea", []any{[]byte{0x00, 0xff, 0x10}, []byte{}, nil}},
		{"enum", "mood", []string{"'happy'", "'ünïcode'", "NULL"}, utf8, "mood", []any{"happy", "ünïcode", nil}},
		{"domain over integer", "posint", []string{"5", "2147483647", "NULL"}, i32, "integer", []any{int32(5), int32(2147483647), nil}},
		{"domain over numeric(12,2)", "amount", []string{"1.5", "NULL"}, dec(12, 2), "numeric(12,2)", []any{"1.50", nil}},
		{"domain over text", "email", []string{"'a@example.com'"}, utf8, "text", []any{"a@example.com"}},

		{"smallint[]", "smallint[]", []string{"'{1,-32768,32767}'", "'{}'", "'{NULL,5}'", "NULL"}, list(i16), "smallint[]",
			[]any{[]any{int16(1), int16(-32768), int16(32767)}, []any{}, []any{nil, int16(5)}, nil}},
		{"integer[]", "integer[]", []string{"'{1,2,3}'", "'{}'", "'{1,NULL,3}'", "'[0:1]={7,8}'", "NULL"}, list(i32), "integer[]",
			[]any{[]any{int32(1), int32(2), int32(3)}, []any{}, []any{int32(1), nil, int32(3)}, []any{int32(7), int32(8)}, nil}},
		{"bigint[]", "bigint[]", []string{"'{-9223372036854775808,9223372036854775807}'", "'{}'"}, list(i64), "bigint[]",
			[]any{[]any{int64(math.MinInt64), int64(math.MaxInt64)}, []any{}}},
		{"numeric(12,2)[]", "numeric(12,2)[]", []string{"'{1.5,NULL,-2}'", "'{}'", "NULL"}, list(dec(12, 2)), "numeric(12,2)[]",
			[]any{[]any{"1.50", nil, "-2.00"}, []any{}, nil}},
		{"numeric[]", "numeric[]", []string{"'{1.5,NaN,-Infinity,12345678901234567890123456789012345678901}'"}, list(utf8), "numeric[]",
			[]any{[]any{"1.5", "NaN", "-Infinity", "12345678901234567890123456789012345678901"}}},
		{"real[]", "real[]", []string{"'{1.5,NULL}'"}, list(f32), "real[]", []any{[]any{float32(1.5), nil}}},
		{"double precision[]", "double precision[]", []string{"'{-0.1,Infinity}'"}, list(f64), "double precision[]", []any{[]any{-0.1, math.Inf(1)}}},
		{"boolean[]", "boolean[]", []string{"'{t,f,NULL}'"}, list(boolT), "boolean[]", []any{[]any{true, false, nil}}},
		{"text[]", "text[]", []string{`'{"a","b c","",NULL,"NULL","☃"}'`, "'{}'", "NULL"}, list(utf8), "text[]",
			[]any{[]any{"a", "b c", "", nil, "NULL", "☃"}, []any{}, nil}},
		{"varchar(5)[]", "varchar(5)[]", []string{"'{abc}'"}, list(utf8), "character varying(5)[]", []any{[]any{"abc"}}},
		{"char(3)[]", "char(3)[]", []string{"'{a}'"}, list(utf8), "character(3)[]", []any{[]any{"a  "}}},
		{"name[]", "name[]", []string{"'{pg_class}'"}, list(utf8), "name[]", []any{[]any{"pg_class"}}},
		{"citext[]", "citext[]", []string{"'{Hello,NULL}'"}, list(utf8), "citext[]", []any{[]any{"Hello", nil}}},
		{"date[]", "date[]", []string{"'{2024-02-29,1969-12-31,NULL}'"}, list(date), "date[]", []any{[]any{"2024-02-29", "1969-12-31", nil}}},
		{"timestamp[]", "timestamp[]", []string{`'{"1969-07-20 20:17:40","2262-04-11 23:47:16.854776"}'`}, list(ts), "timestamp without time zone[]",
			[]any{[]any{"1969-07-20 20:17:40", "2262-04-11 23:47:16.854776"}}},
		{"timestamptz[]", "timestamptz[]", []string{`'{"2024-03-10 12:00:00+02",NULL}'`}, list(tstz), "timestamp with time zone[]",
			[]any{[]any{"2024-03-10 10:00:00", nil}}},
		{"uuid[]", "uuid[]", []string{"'{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11,NULL}'"}, list(utf8), "uuid[]",
			[]any{[]any{"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", nil}}},
		{"json[]", "json[]", []string{`ARRAY['{"b": 1,  "a": 2}'::json]`}, list(utf8), "json[]", []any{[]any{`{"b": 1,  "a": 2}`}}},
		{"jsonb[]", "jsonb[]", []string{`ARRAY['{"b": 1,  "a": 2}'::jsonb, NULL]`}, list(utf8), "jsonb[]", []any{[]any{`{"a": 2, "b": 1}`, nil}}},
		{"bytea[]", "bytea[]", []string{`ARRAY['\x00ff'::bytea, ''::bytea, NULL]`}, list(bin), "bytea[]", []any{[]any{[]byte{0x00, 0xff}, []byte{}, nil}}},
		{"enum[]", "mood[]", []string{"'{happy,NULL,sad}'"}, list(utf8), "mood[]", []any{[]any{"happy", nil, "sad"}}},
		{"domain[]", "posint[]", []string{"'{1,2}'"}, list(i32), "posint[]", []any{[]any{int32(1), int32(2)}}},
	}
	for i, tt := range tests {
		table := fmt.Sprintf("type_%d", i)
		var rows []string
		for j, v := range tt.values {
			rows = append(rows, fmt.Sprintf("(%d, %s)", j+1, v))
		}
		exec(t, admin, fmt.Sprintf("CREATE TABLE %s (id integer, v %s)", table, tt.decl))
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
				t.Errorf("field = %s (nullable %v), want v: %s nullable", f.Name, f.Nullable, tt.arrow)
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

func TestValueErrorsNameTableColumnAndRow(t *testing.T) {
	dsn, admin := testDB(t)
	tests := []struct {
		name   string
		decl   string
		values []string
		want   []string // parts of the error text
	}{
		{"NaN in numeric(12,2)", "numeric(12,2)", []string{"1", "'NaN'"}, []string{"bad.v", "row 2", "NaN", "decimal"}},
		{"infinity date", "date", []string{"'2024-01-01'", "'infinity'"}, []string{"bad.v", "row 2", "infinity"}},
		{"-infinity date", "date", []string{"'-infinity'"}, []string{"bad.v", "row 1", "-infinity"}},
		{"-infinity timestamp", "timestamp", []string{"'-infinity'"}, []string{"bad.v", "row 1", "-infinity"}},
		{"infinity timestamptz", "timestamptz", []string{"'2024-01-01Z'", "'2024-01-02Z'", "'infinity'"}, []string{"bad.v", "row 3", "infinity"}},
		{"timestamp beyond timestamp[us]", "timestamp", []string{"'294276-12-31 23:59:59'"}, []string{"bad.v", "row 1", "does not fit timestamp[us]"}},
		{"infinity in a date array", "date[]", []string{"'{2024-01-01,infinity}'"}, []string{"bad.v", "row 1", "infinity"}},
		{"NaN in a numeric(5,2) array", "numeric(5,2)[]", []string{"'{NaN}'"}, []string{"bad.v", "row 1", "NaN"}},
		{"multi-dimensional array", "integer[]", []string{"'{1}'", "'{{1,2},{3,4}}'"}, []string{"bad.v", "row 2", "multi-dimensional"}},
	}
	src := openSource(t, dsn)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exec(t, admin, "DROP TABLE IF EXISTS bad")
			exec(t, admin, fmt.Sprintf("CREATE TABLE bad (id serial, v %s)", tt.decl))
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

func TestUnsupportedTypeFailsBeforeReading(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "CREATE TYPE pair AS (a integer, b integer)")
	tests := []struct {
		decl, value, source string
	}{
		{"time", "'12:00'", "time without time zone"},
		{"timetz", "'12:00+02'", "time with time zone"},
		{"interval", "'1 day'", "interval"},
		{"inet", "'10.0.0.1'", "inet"},
		{"cidr", "'10.0.0.0/8'", "cidr"},
		{"money", "'1.50'", "money"},
		{"point", "'(1,2)'", "point"},
		{"int4range", "'[1,5)'", "int4range"},
		{"pair", "'(1,2)'", "pair"},
		{`"char"`, "'a'", `"char"`},
		{"bit(3)", "B'101'", "bit(3)"},
		{"xml", "'<a/>'", "xml"},
		{"oid", "1", "oid"},
		{"interval[]", "'{1 day}'", "interval[]"},
	}
	src := openSource(t, dsn)
	for i, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			table := fmt.Sprintf("unsupported_%d", i)
			exec(t, admin, fmt.Sprintf("CREATE TABLE %s (id integer, v %s)", table, tt.decl))
			exec(t, admin, fmt.Sprintf("INSERT INTO %s VALUES (1, %s)", table, tt.value))
			snap := snapshot(t, src)
			sink, err := loadertest.Read(t, snap, loaders.Query{Name: "lake_" + table, Table: table}, loaders.ReadOptions{})
			var ute *loaders.UnsupportedTypeError
			if !errors.As(err, &ute) {
				t.Fatalf("read error = %v, want *loaders.UnsupportedTypeError", err)
			}
			want := loaders.UnsupportedTypeError{Table: "lake_" + table, Column: "v", Type: tt.source, Cast: "v::text"}
			if *ute != want {
				t.Errorf("error = %+v, want %+v", *ute, want)
			}
			if !strings.Contains(err.Error(), "lake_"+table+".v") {
				t.Errorf("error %q does not name lake_%s.v", err, table)
			}
			if sink.Begins != 0 || len(sink.Batches) != 0 {
				t.Errorf("sink got Begin %d times and %d batches, want none", sink.Begins, len(sink.Batches))
			}
		})
	}
}

func TestQuerySource(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "CREATE TABLE orders (id integer, amount numeric(10,2), status text)")
	exec(t, admin, "INSERT INTO orders VALUES (1, 10.5, 'paid'), (2, 20, 'open'), (3, 30.25, 'paid')")
	src := openSource(t, dsn)
	snap := snapshot(t, src)
	q := loaders.Query{
		Name: "paid_orders",
		SQL:  "SELECT id::bigint AS order_id, amount * 2 AS doubled, upper(status) AS status, now()::time::text AS t FROM orders WHERE status = 'paid' ORDER BY id;\n",
	}
	n, err := snap.Count(context.Background(), q)
	if err != nil || n != 2 {
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
	if want := []string{"order_id", "doubled", "status", "t"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns = %q, want %q", names, want)
	}
	if want := []string{"bigint", "numeric", "text", "text"}; !reflect.DeepEqual(sources, want) {
		t.Errorf("source types = %q, want %q", sources, want)
	}
	rows := sink.Rows(t)
	for _, r := range rows {
		r[3] = nil // the time of day is not known in advance
	}
	want := [][]any{{int64(1), "21.00", "PAID", nil}, {int64(3), "60.50", "PAID", nil}}
	if !reflect.DeepEqual(rows, want) {
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
	exec(t, admin, `CREATE SCHEMA "Sales"`)
	exec(t, admin, `CREATE TABLE "Sales"."Order" ("Select" integer, "from" text, "Mixed Case" boolean)`)
	exec(t, admin, `INSERT INTO "Sales"."Order" VALUES (1, 'a', true)`)
	exec(t, admin, `CREATE TABLE "user" ("group" integer)`)
	exec(t, admin, `INSERT INTO "user" VALUES (7), (8)`)
	exec(t, admin, `CREATE TABLE "order" (id integer)`) // lower case: must not be confused with "Order"
	src := openSource(t, dsn)
	snap := snapshot(t, src)
	tests := []struct {
		table     string
		count     int64
		columns   []string
		firstRows [][]any
	}{
		{"Sales.Order", 1, []string{"Select", "from", "Mixed Case"}, [][]any{{int32(1), "a", true}}},
		{"user", 2, []string{"group"}, [][]any{{int32(7)}, {int32(8)}}},
		{"public.user", 2, []string{"group"}, [][]any{{int32(7)}, {int32(8)}}},
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
			if rows := sink.Rows(t); !reflect.DeepEqual(rows, tt.firstRows) {
				t.Errorf("rows = %v, want %v", rows, tt.firstRows)
			}
		})
	}
}

func TestBatchesSplitAtBatchRows(t *testing.T) {
	dsn, admin := testDB(t)
	exec(t, admin, "CREATE TABLE ten (id integer)")
	exec(t, admin, "INSERT INTO ten SELECT generate_series(1, 10)")
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
			var ids []any
			for _, r := range sink.Rows(t) {
				ids = append(ids, r[0])
			}
			for i, id := range ids {
				if id != int32(i+1) {
					t.Fatalf("ids = %v, want 1..%d in order", ids, len(ids))
				}
			}
		})
	}
}

func TestBatchesEndAtBatchBytes(t *testing.T) {
	dsn, _ := testDB(t)
	snap := snapshot(t, openSource(t, dsn))
	loadertest.CheckBatchBytes(t, snap, func(t *testing.T, rows, width int) loaders.Query {
		return loaders.Query{Name: "wide", SQL: fmt.Sprintf("SELECT i AS id, repeat('x', %d) AS pad FROM generate_series(1, %d) AS i ORDER BY i", width, rows)}
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
			exec(t, admin, "CREATE TABLE events (id integer)")
			exec(t, admin, "INSERT INTO events SELECT generate_series(1, 5)")
			exec(t, admin, "CREATE TABLE totals (n integer)")
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
			exec(t, admin, "BEGIN; INSERT INTO events SELECT generate_series(6, 8); UPDATE totals SET n = 8; COMMIT")

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
	exec(t, admin, "CREATE TABLE empty (id bigint, name varchar(20), tags text[])")
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
		{Name: "name", SourceType: "character varying(20)", Arrow: arrow.BinaryTypes.String},
		{Name: "tags", SourceType: "text[]", Arrow: arrow.ListOf(arrow.BinaryTypes.String)},
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
	base := testenv.Postgres(t)
	root, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer root.Close(ctx)
	// The test server asks members of lake_password_auth for a password
	// (localstack/services.sh); everyone else is trusted.
	if _, err := root.Exec(ctx, `DO $$ BEGIN CREATE ROLE lake_password_auth NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`); err != nil {
		t.Fatalf("create group role: %v", err)
	}
	user := fmt.Sprintf("lake_pw_%016x", rand.Uint64())
	if _, err := root.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD 'Right-Pa55word' IN ROLE lake_password_auth", user)); err != nil {
		t.Fatalf("create role: %v", err)
	}
	defer root.Exec(ctx, "DROP ROLE "+user)

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse url: %v", err)
	}
	withPassword := func(pw string) string {
		v := *u
		v.User = url.UserPassword(user, pw)
		return v.String()
	}
	if src, err := postgres.Open(ctx, withPassword("Right-Pa55word")); err != nil {
		t.Fatalf("open with the right password: %v", err)
	} else {
		src.Close()
	}

	const secret = "Wr0ng-s3cret-Pa55"
	closedPort := *u
	closedPort.Host = "127.0.0.1:1"
	closedPort.User = url.UserPassword(user, secret)
	tests := []struct {
		name string
		dsn  string
	}{
		{"wrong password", withPassword(secret)},
		{"wrong password, key=value form", fmt.Sprintf("host=%s port=%s user=%s password=%s dbname=postgres sslmode=disable", u.Hostname(), u.Port(), user, secret)},
		{"nothing listening", closedPort.String()},
		{"malformed url", "postgres://" + user + ":" + secret + "@127.0.0.1:notaport/postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := postgres.Open(ctx, tt.dsn)
			if err == nil {
				src.Close()
				t.Fatal("open succeeded; the test server must ask members of lake_password_auth for a password (start it with localstack/services.sh)")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the password: %v", err)
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
	exec(t, admin, "CREATE TABLE small (id integer)")
	exec(t, admin, "INSERT INTO small VALUES (1), (2)")
	src := openSource(t, dsn)
	// A hundred million rows take many seconds to send: a read that drained them
	// after a failure, instead of cancelling, would be far too slow. (The
	// join streams its rows; one big generate_series would be materialized
	// before the first row.)
	const rows = "FROM generate_series(1, 10000) AS a, generate_series(1, 10000) AS b"
	const huge = "SELECT CASE WHEN a = 2 AND b = 1 THEN 'NaN'::numeric ELSE a::numeric END::numeric(12,2) AS v " + rows
	const hugeInts = "SELECT a AS v " + rows
	tests := []struct {
		name    string
		sql     string
		sink    loaders.RecordSink
		wantErr []string
		is      error
	}{
		// The planner picks which series is the outer loop, so the row number is not fixed.
		{"a value that cannot be stored", huge, &loadertest.Sink{}, []string{"huge.v: row ", "numeric NaN"}, nil},
		{"a sink that fails", hugeInts, &failingSink{}, []string{"sink is full"}, errSinkFull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			snap := snapshot(t, src)
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
				t.Errorf("failed read took %s: the query was drained, not cancelled", d)
			}
			if n, err := snap.Count(context.Background(), loaders.Query{Name: "small", Table: "small"}); err != nil || n != 2 {
				t.Errorf("count after the failed read = %d, %v; want 2", n, err)
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
	// 200,000 rows of about 60 bytes are 12 MB; a batch of 1,000 rows is 60 kB.
	q := loaders.Query{Name: "wide", SQL: "SELECT i::bigint AS id, repeat('x', 50) AS pad, ARRAY[i, i] AS pair FROM generate_series(1, 200000) AS i"}
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

func TestDecodingDoesNotAllocatePerRow(t *testing.T) {
	dsn, _ := testDB(t)
	src := openSource(t, dsn)
	// The checked allocator of the other tests allocates per buffer itself.
	src.Allocator = memory.NewGoAllocator()
	snap := snapshot(t, src)
	const rows = 100000
	q := loaders.Query{Name: "mixed", SQL: fmt.Sprintf(`SELECT i::bigint AS id, (i %% 1000)::smallint AS s, repeat('x', 50) AS pad,
		ARRAY[i, NULL] AS pair, i::numeric(12,2) AS amount, (i / 7.0) AS ratio, now() AS ts, current_date AS day,
		gen_random_uuid() AS u, '{"a": 1}'::jsonb AS j, i %% 2 = 0 AS even, i::float8 AS f, NULL::text AS nothing
		FROM generate_series(1, %d) AS i`, rows)}
	allocs := testing.AllocsPerRun(1, func() {
		sink := &countingSink{}
		if err := snap.Read(context.Background(), q, loaders.ReadOptions{}, sink); err != nil {
			t.Fatalf("read: %v", err)
		}
		if sink.rows != rows {
			t.Fatalf("read %d rows, want %d", sink.rows, rows)
		}
	})
	// Builders grow by doubling, so allocations grow with the log of the
	// batch size; one allocation per row would be 100,000 or more.
	if allocs > rows/20 {
		t.Errorf("%v allocations to read %d rows, want under %d", allocs, rows, rows/20)
	}
}
