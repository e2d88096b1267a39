// Package postgres is the PostgreSQL loader: a loaders.Source whose
// snapshots stream the rows of tables and SELECTs as Arrow record batches.
//
// Nouns:
//
//   - Source: one database, given by a DSN. Open checks that it connects;
//     errors never contain the password.
//   - Snapshot: one connection in a REPEATABLE READ, READ ONLY transaction.
//     Every Count and Read on it sees the data as of the Snapshot call. A
//     failed Read or Count is rolled back to its savepoint, so the snapshot
//     stays usable for the other tables. Join opens another connection in
//     the same snapshot (pg_export_snapshot, SET TRANSACTION SNAPSHOT);
//     Split divides a table into ranges of heap pages (ctid), read by TID
//     range scans, no smaller than a size it is given; ReadCounted returns
//     the row count of COPY's command tag.
//     Every call runs in a savepoint rolled back at its end, which frees
//     the locks it took (a table read is not locked for the rest of the
//     night); a read of a table rewritten since the snapshot began, which
//     the snapshot would see empty, fails (rewrite.go). A failure that
//     ends the connection ends the snapshot: later calls fail with that
//     first cause. The source may be a hot standby; the
//     error it raises when it cancels a snapshot to replay its primary's
//     changes says which standby settings prevent it (standby.go). A
//     statement waits for a lock at most the Source's LockTimeout; one
//     that times out says which sessions hold exclusive locks (locks.go).
//   - mapping (types.go): how one Postgres type becomes an Arrow type, and
//     how one value of Postgres's binary format (the per-value format of
//     COPY BINARY too) is decoded: into an Arrow builder (array elements,
//     booleans) or into a column.
//   - column (columns.go): one result column's values for a batch, kept in
//     Go slices that become the Arrow array's buffers, without a builder's
//     per-value bookkeeping; a column reuses the buffers of the batches the
//     sink has released (recycle.go).
//
// Column types are resolved (enums, domains and array elements through
// pg_type) before any row is read, so an unsupported column fails first,
// with a *loaders.UnsupportedTypeError. Rows then come from
// COPY (SELECT ...) TO STDOUT (FORMAT binary), the fastest way out of
// Postgres, inside the snapshot's transaction (a slice's bound inlined as a
// typed literal, as COPY takes no parameters). copy.go decodes the stream as
// it arrives straight into the columns, a batch at a time: memory depends
// on the batch size, not on the table size.
//
// Type mapping (every Arrow field is nullable; the field's
// loaders.MetaSourceType metadata and loaders.Column.SourceType hold the
// type as format_type prints it, such as "numeric(12,2)", "integer[]",
// "character varying(20)" or "mood"):
//
//	smallint                       int16
//	integer                        int32
//	bigint                         int64
//	numeric(p,s), p <= 38, 0<=s<=p decimal128(p,s); NaN and ±Infinity fail, naming table.column and row
//	numeric, or any other (p,s)    utf8: the exact text Postgres prints ("NaN", "Infinity" too)
//	real                           float32
//	double precision               float64
//	boolean                        bool
//	text, varchar(n), char(n),     utf8 (char(n) keeps its padding, as Postgres returns it)
//	bpchar, name, citext-like
//	date                           date32
//	timestamp                      timestamp[us] (no time zone)
//	timestamptz                    timestamp[us, "UTC"]
//	uuid                           utf8, canonical lower-case
//	json, jsonb                    utf8 (jsonb as Postgres prints it)
//	bytea                          binary
//	enum                           utf8
//	domain                         its base type's mapping
//	one-dimensional array of any   list<elem>, NULL elements kept; a value with
//	of the above                   more than one dimension fails, naming table.column
//
// 'infinity' and '-infinity' dates and timestamps fail, naming table.column
// and row, rather than being clamped. Domains are reported under their base
// type (Postgres describes a domain column as its base type). Any other type
// (time, interval, inet, money, point, composite, range, ...) is an
// *loaders.UnsupportedTypeError: cast it in a query.
//
// This package must not know about partitions, warehouses or clusters, and
// never writes to the source.
package postgres
