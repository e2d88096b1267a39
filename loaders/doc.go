// Package loaders owns reading sources: it turns rows of a source database
// into Arrow record batches, and record batches into Parquet files.
//
// Nouns:
//
//   - Source: one configured database (a Postgres server, a SQLite file).
//   - Snapshot: one consistent, read-only view of a Source. Every Count and
//     Read on the same Snapshot sees the same data, so the row count recorded
//     in a manifest and the rows written agree, and tables read together agree
//     with each other.
//   - Query: what to read for one lake table: a source table or a SELECT.
//   - Column: a result column with its source type and its Arrow type.
//   - RecordSink: where a Snapshot streams its batches (the Parquet writer).
//     A PipeSink in front of one lets the encoding run beside the read;
//     the MySQL and SQLite drivers hand it their builders' rows with
//     WriteBatch (PostgreSQL's decoder collects columns of its own; those
//     that keep a builder reuse WriteBatch's sizing through NextArray).
//   - Joiner, Splitter, CountingReader: what a Snapshot may also do
//     (PostgreSQL's does all three): let more connections share it, divide
//     a table read into BlockRanges of its storage, and report the source's
//     own count of the rows a Read sent.
//   - BulkReads: the connection under a driver, which wakes for a bulk
//     result in runs of 256 KiB once it has caught up with the server,
//     rather than at each of the server's writes.
//
// Sub-packages hold one driver each (postgres, mysql, sqlite) and the Parquet writer
// (parquetfile). This package must not know about partitions, warehouses or
// clusters: it reads and encodes, nothing else.
package loaders
