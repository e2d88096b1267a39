package postgres

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/localstack/testenv"
)

// A real binary COPY stream from Postgres, handed to the decoder in chunks
// that split the header, length words and values anywhere, decodes to the
// same rows as when it arrives whole.
func TestCopyDecoderReadsTuplesSplitAcrossMessages(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.NewPostgresDB(t))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	var stream bytes.Buffer
	if _, err := conn.PgConn().CopyTo(ctx, &stream, `COPY (SELECT * FROM (VALUES
		(1::int8, 'one'::text), (NULL, ''), (3, NULL), (4, 'four, a longer value')) AS t(id, name)
		) TO STDOUT (FORMAT binary)`); err != nil {
		t.Fatalf("copy: %v", err)
	}
	wantIDs := []any{int64(1), nil, int64(3), int64(4)}
	wantNames := []any{"one", "", nil, "four, a longer value"}

	for _, chunk := range []int{1, 2, 3, 5, 7, 19, stream.Len()} {
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil)
		columns := []column{
			newColumn(scalarTypes[pgtype.Int8OID](-1), memory.NewGoAllocator(), 3),
			newColumn(textType(-1), memory.NewGoAllocator(), 3),
		}
		var ids, names []any
		var dec *copyDecoder
		collect := func(rows int) error {
			rec := newBatch(schema, columns, rows, 3)
			defer rec.Release()
			id, name := rec.Column(0).(*array.Int64), rec.Column(1).(*array.String)
			for i := range int(rec.NumRows()) {
				ids = append(ids, nullOr(id.IsNull(i), func() any { return id.Value(i) }))
				names = append(names, nullOr(name.IsNull(i), func() any { return name.Value(i) }))
			}
			return nil
		}
		dec = &copyDecoder{
			name:       "t",
			cols:       []resolvedColumn{{Column: loaders.Column{Name: "id"}}, {Column: loaders.Column{Name: "name"}}},
			columns:    columns,
			batchRows:  3,
			batchBytes: 1 << 20,
			flush:      collect,
			onError:    func() { t.Errorf("chunk %d: decoder failed", chunk) },
		}
		data := stream.Bytes()
		for len(data) > 0 {
			n := min(chunk, len(data))
			// A message's bytes are only valid during Write: reuse them.
			msg := append([]byte(nil), data[:n]...)
			if _, err := dec.Write(msg); err != nil {
				t.Fatalf("chunk %d: write: %v", chunk, err)
			}
			clear(msg)
			data = data[n:]
		}
		if err := dec.finish(); err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		if dec.inBatch > 0 {
			collect(dec.inBatch)
		}
		if !equalAny(ids, wantIDs) || !equalAny(names, wantNames) {
			t.Errorf("chunk %d: ids %v names %q, want %v %q", chunk, ids, names, wantIDs, wantNames)
		}
	}
}

func nullOr(null bool, v func() any) any {
	if null {
		return nil
	}
	return v()
}

func equalAny(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// COPY takes no parameters, so the slice bound is inlined; it must name the
// same instant whatever the session's TimeZone.
func TestSliceLiteralIsExactAndTyped(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatalf("load location: %v", err)
	}
	bound := time.Date(2026, 3, 29, 0, 0, 0, 1000, paris)
	tests := []struct {
		oid  uint32
		want string
	}{
		{1082, "'2026-03-29'::pg_catalog.date"},
		{1114, "'2026-03-29 00:00:00.000001'::pg_catalog.timestamp"},
		{1184, "'2026-03-29 00:00:00.000001+01:00'::pg_catalog.timestamptz"},
	}
	for _, tc := range tests {
		got, err := sliceLiteral(&loaders.Slice{Column: "c", Bound: bound}, []uint32{tc.oid})
		if err != nil || got != tc.want {
			t.Errorf("oid %d: got %q, %v; want %q", tc.oid, got, err, tc.want)
		}
	}
	if _, err := sliceLiteral(&loaders.Slice{Column: "c", Bound: bound}, []uint32{25}); err == nil {
		t.Errorf("text column: got no error")
	}
}
