// Package sql owns the SQL dialects lake speaks to query engines: how an
// Arrow type is spelled in each engine, how identifiers are quoted, and the
// DDL lake runs. Clients that execute it live in sub-packages (sql/duckdb,
// sql/trino, sql/presto).
//
// Nouns:
//
//   - Dialect: one engine's spelling of types, identifiers and statements.
//   - Column: a name and an Arrow type, the unit of every table definition.
//   - Hive: the dialect of Trino's and Presto's Hive connector: external
//     Parquet tables partitioned by ds, partition registration, _latest
//     views, and the information_schema queries that read them back.
//
// This package must not decide what should exist on a cluster; views does.
package sql
