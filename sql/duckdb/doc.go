// Package duckdb is the DuckDB cluster: a catalog file holding, per lake
// table, a view over all committed partitions (with ds as a column) and a
// <table>_latest view, both reading the Parquet files the manifests list.
// It also opens that catalog for `lake query`. An s3:// warehouse is read
// through the httpfs extension with a temporary, per-connection secret
// (S3Access): credentials never reach the catalog file or the output.
//
// The catalog holds views only, never data: deleting the file loses
// nothing, and `lake sync` rebuilds it from the warehouse.
package duckdb
