// Package lake owns the config (lake.yaml), and the nightly job that ties
// loaders, partitions and views together; the warehouse store lives in
// lake/warehouse.
//
// Nouns:
//
//   - Config: one lake.yaml, parsed, defaulted and validated: the warehouse
//     folder, the time zone of "today", Parquet settings, sources, tables and
//     clusters. Loading reports every problem at once, each as
//     file:line: key: what is wrong and what is expected. Relative paths are
//     resolved against the file's folder; secrets never appear in errors.
//   - Table: a lake table (schema.name) filled from one source table or one
//     query into write-once ds=YYYY-MM-DD partitions.
//   - Source: a production database (PostgreSQL, MySQL/MariaDB or SQLite)
//     that tables are read from, named in the config and opened by loaders.
//   - Cluster: a query engine where tables and their <table>_latest views are
//     registered (DuckDB, Trino, Presto).
//   - Job: the nightly work for one ds: snapshot the selected tables, commit
//     their partitions, then register them and flip views on every cluster.
//   - Run: one execution of the Job, with its own id; a rerun of a committed
//     night is a no-op.
//   - Report: what a Run did, table by table and cluster by cluster.
//   - readers: the connections that read one source on one night, all in
//     one snapshot (sources.NAME.workers of them). Tables, and the block
//     ranges of split tables, queue for them; each range writes Parquet
//     files of its own into the table's attempt. planSplit says in how
//     many ranges a table is read: split: N, or by its size.
//   - chunkQueue: the chunks of chunk_size each range is read in, one
//     COPY each; a range's reader done with its own takes over the last
//     chunks of the range with the most left.
//   - progress: the "reading" lines a table's read logs every
//     Job.Progress, beside what the newest earlier partition read and the
//     source's estimate of the table's rows.
//   - SourceCheck, TableCheck (lake validate): each source opened and
//     snapshotted as a run would, each table read up to its columns only
//     (the loader resolves types and checks an incremental column before
//     the first row), with the source's estimate of its rows.
//
// This package must not speak to databases or engines itself: loaders read
// sources, partitions owns the commit protocol, sql and views talk to
// clusters.
package lake
