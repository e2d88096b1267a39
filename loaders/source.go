package loaders

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// MetaSourceType is the Arrow field metadata key that carries a column's type
// as the source database names it (for example "numeric(12,2)" or "text[]").
const MetaSourceType = "lake.source_type"

// Query says what to read for one lake table. Exactly one of Table and SQL is set.
type Query struct {
	// Name is the lake table name, used in error messages ("orders.amount: ...").
	Name string
	// Table is a source table, optionally schema-qualified ("public.orders").
	// Loaders quote each part, so mixed case and reserved words work.
	Table string
	// SQL is a full SELECT statement run as is.
	SQL string
	// Slice, if set, limits the query to the rows on one side of a
	// boundary; Count and Read apply the same bounds.
	Slice *Slice
	// Blocks, if set, limits a Table read to one range of the table's
	// storage. Only a Splitter makes queries with Blocks.
	Blocks *BlockRange
}

// BlockRange is a range of a table's storage pages (PostgreSQL heap
// blocks): First up to but not including Last. Last 0 means to the end of
// the table, so that the last range of a split also holds pages added
// after the split was planned.
type BlockRange struct {
	First, Last int64
}

// String shows the range as the condition a loader applies.
func (b BlockRange) String() string {
	if b.Last == 0 {
		return fmt.Sprintf("ctid >= '(%d,0)'", b.First)
	}
	return fmt.Sprintf("ctid >= '(%d,0)' AND ctid < '(%d,0)'", b.First, b.Last)
}

// Describe returns what the query reads, for manifests and messages.
func (q Query) Describe() string {
	base := q.Table
	if q.SQL != "" {
		base = q.SQL
	}
	var conds []string
	if q.Slice != nil {
		conds = append(conds, q.Slice.String())
	}
	if q.Blocks != nil {
		conds = append(conds, q.Blocks.String())
	}
	if len(conds) > 0 {
		return base + " WHERE " + strings.Join(conds, " AND ")
	}
	return base
}

// Side is a side of a Slice's boundary.
type Side int

const (
	// Recent is the rows with column >= Bound.
	Recent Side = iota + 1
	// Tail is every other row: column < Bound, column NULL, or (SQLite) a
	// value that is not a date or time. Recent and Tail never overlap and
	// together are the whole query.
	Tail
)

// Slice bounds a query by a date or timestamp column. Loaders wrap the
// query (SELECT * FROM (query) WHERE ...) and pass the bound as a
// parameter, so any table or SELECT can be sliced.
type Slice struct {
	// Column is the date or timestamp column, as the query names it.
	Column string
	// Bound is the boundary, a midnight in some zone: a date column is
	// compared with Bound's calendar date, a timestamp without time zone
	// with its wall clock (Bound's date at 00:00:00), a timestamp with time
	// zone with the instant.
	Bound time.Time
	Side  Side
}

// String shows the slice's condition, for manifests and messages.
func (s Slice) String() string {
	b := s.Bound.Format(time.RFC3339)
	if s.Side == Recent {
		return fmt.Sprintf("%s >= %s", s.Column, b)
	}
	return fmt.Sprintf("(%s < %s OR %s IS NULL)", s.Column, b, s.Column)
}

// Column is one result column.
type Column struct {
	Name string `json:"name"`
	// SourceType is the type as the source names it ("numeric(12,2)", "integer[]").
	SourceType string `json:"source_type"`
	// Arrow is the Arrow type the loader produces; every field is nullable.
	Arrow arrow.DataType `json:"-"`
}

// ReadOptions tunes how rows are batched. A batch ends at BatchRows rows
// or as soon as its values reach BatchBytes, whichever comes first.
type ReadOptions struct {
	// BatchRows is the maximum number of rows per record batch (default 16384).
	BatchRows int
	// BatchBytes ends a batch once its values hold this many bytes
	// (default 16 MiB), as the source sent them.
	BatchBytes int
}

// DefaultBatchRows is used when ReadOptions.BatchRows is zero.
//
// 16384 rows keep the batches queued between a read and its Parquet
// encoding small (a night of a wide table holds about four), while still
// amortising the per-batch work of the encoder.
const DefaultBatchRows = 16 * 1024

// DefaultBatchBytes is used when ReadOptions.BatchBytes is zero.
//
// Rows of a few hundred bytes fill DefaultBatchRows long before this; it
// is for wide rows (documents, blobs): 16384 rows of 100 kB would make a
// batch of 1.6 GB, and a few of them wait between a read and its encoding.
// Cut at 16 MiB, memory stays bounded whatever a row holds, and a string
// column stays far from the 2 GiB an Arrow string array can address.
const DefaultBatchBytes = 16 << 20

// Rows returns the batch size to use.
func (o ReadOptions) Rows() int {
	if o.BatchRows <= 0 {
		return DefaultBatchRows
	}
	return o.BatchRows
}

// Bytes returns the byte size at which a batch ends.
func (o ReadOptions) Bytes() int {
	if o.BatchBytes <= 0 {
		return DefaultBatchBytes
	}
	return o.BatchBytes
}

// RecordSink receives the result of a Read.
type RecordSink interface {
	// Begin is called exactly once, before any Write, even when the query
	// returns no rows.
	Begin(schema *arrow.Schema, cols []Column) error
	// Write is called once per batch. The batch is released by the caller
	// after Write returns; a sink that keeps it must Retain it.
	Write(rec arrow.RecordBatch) error
}

// Source is one configured source database.
type Source interface {
	// Snapshot begins one consistent read-only snapshot of the source.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Close releases the source's connections.
	Close() error
}

// Snapshot is one consistent, read-only view of a Source. It is used by one
// goroutine at a time.
type Snapshot interface {
	// Count returns how many rows q yields in this snapshot.
	Count(ctx context.Context, q Query) (int64, error)
	// Read runs q in this snapshot and streams its rows to sink.
	// An unsupported column type fails before any row is read, with an
	// *UnsupportedTypeError.
	Read(ctx context.Context, q Query, opts ReadOptions, sink RecordSink) error
	// Close ends the snapshot.
	Close() error
}

// CountingReader is a Snapshot whose source says itself how many rows a
// Read sent (PostgreSQL: the count in COPY's command tag, computed by the
// server in the snapshot). That count is as independent of lake's decoding
// and writing as a separate Count, and spares a scan of the table.
type CountingReader interface {
	// ReadCounted is Read that returns the source's count of the rows it
	// sent for q.
	ReadCounted(ctx context.Context, q Query, opts ReadOptions, sink RecordSink) (sent int64, err error)
}

// RowEstimator is a Snapshot whose source keeps an estimate of how many
// rows a table holds (PostgreSQL: pg_class.reltuples; MySQL: TABLE_ROWS),
// which it returns without reading the table. lake shows it beside a long
// read's progress; it is never used to check anything.
type RowEstimator interface {
	// EstimateRows returns the estimate for q's whole table, whatever its
	// Slice or Blocks; ok is false for a SELECT and for a table the source
	// has no estimate of.
	EstimateRows(ctx context.Context, q Query) (rows int64, ok bool, err error)
}

// Joiner is a Snapshot that more connections can share, so that several
// tables, or several ranges of one table, are read at once and still agree
// with each other (PostgreSQL: pg_export_snapshot and SET TRANSACTION
// SNAPSHOT, as pg_dump --jobs does). MySQL, MariaDB and SQLite cannot share
// a snapshot between connections, so their snapshots are not Joiners.
type Joiner interface {
	// Join opens another connection that sees exactly this snapshot's
	// data. It must be called while the snapshot is open and not in use by
	// another goroutine; the returned Snapshot is closed by the caller,
	// before or after this one.
	Join(ctx context.Context) (Snapshot, error)
}

// Splitter is a Snapshot that can divide a table read into ranges of the
// table's storage, each readable on any snapshot joined to it.
type Splitter interface {
	// Split returns at most o.Ranges ranges that together read exactly
	// q's rows, each row once, each range the chunks it is read in (q
	// with Blocks set), neighbouring and in storage order. It returns q
	// alone, as one range of one chunk, and why, when q cannot be split
	// (a SELECT rather than a table, a view, a table too small, a server
	// without range scans by ctid).
	Split(ctx context.Context, q Query, o SplitOptions) (ranges [][]Query, whyNot string, err error)
}

// SplitOptions says how a Splitter divides a table.
type SplitOptions struct {
	// Ranges is the most ranges to make; fewer than 2 is no split.
	Ranges int
	// MinRangeBytes > 0 is the least of the table's storage a range
	// holds, so that a small table makes fewer ranges, or none.
	MinRangeBytes int64
	// ChunkBytes > 0 cuts each range into chunks of that much storage
	// (the last of a range may hold less; a Splitter may make them
	// bigger to bound how many a range has); 0 is one chunk a range.
	ChunkBytes int64
}

// UnsupportedTypeError says that a column has a type lake cannot store.
type UnsupportedTypeError struct {
	Table, Column, Type string
	// Cast is how the source's SQL casts the column to text, for the
	// message ("col::text", "CAST(col AS CHAR)"); empty for no example.
	Cast string
}

func (e *UnsupportedTypeError) Error() string {
	if e.Cast == "" {
		return fmt.Sprintf("%s.%s: unsupported source type %s; cast it in a query or leave the column out",
			e.Table, e.Column, e.Type)
	}
	return fmt.Sprintf("%s.%s: unsupported source type %s; cast it in a query (for example %s) or leave the column out",
		e.Table, e.Column, e.Type, e.Cast)
}

// Schema is the Arrow schema of cols: every field nullable, with the
// source type in its MetaSourceType metadata. Loaders pass it to
// RecordSink.Begin with cols.
func Schema(cols []Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{
			Name:     c.Name,
			Type:     c.Arrow,
			Nullable: true,
			Metadata: arrow.NewMetadata([]string{MetaSourceType}, []string{c.SourceType}),
		}
	}
	return arrow.NewSchema(fields, nil)
}
