// Package sqlite reads SQLite database files as a loaders.Source, with the
// pure-Go driver modernc.org/sqlite (no cgo).
//
// Nouns:
//
//   - Source: one SQLite file, opened read-only (URI mode=ro); Open never
//     creates a missing file.
//   - Snapshot: one connection inside a read transaction (BEGIN plus an
//     immediate read). In WAL mode the transaction reads one fixed version
//     of the database while writers go on committing. In rollback-journal
//     mode (the SQLite default) the shared lock that gives the same
//     guarantee also blocks writers from committing until the Snapshot is
//     closed, so keep Snapshots short there or switch the database to WAL.
//   - Declared type: the type written in CREATE TABLE. SQLite is dynamically
//     typed, so the Arrow type of a column comes from its declared type and
//     every value is checked against it.
//
// Type mapping, by declared type (case-insensitive; checked in this order;
// the last four rows are SQLite's own affinity rules):
//
//	BOOLEAN, BOOL                  bool      integers 0 and 1, text 'true' and 'false'
//	DATE                           date32    text 'YYYY-MM-DD'
//	DATETIME, TIMESTAMP            timestamp[us], no time zone
//	                                         text 'YYYY-MM-DD HH:MM[:SS[.ffffff]]', with ' ' or 'T',
//	                                         or 'YYYY-MM-DD', or an integer of Unix seconds;
//	                                         text with a 'Z' or '±HH:MM' suffix is converted to UTC
//	DECIMAL(p,s), NUMERIC(p,s)     decimal128(p,s)  (p ≤ 38; DECIMAL(p) means scale 0)
//	                                         integers, reals and numeric text, rounded half away
//	                                         from zero to s digits; reals are taken at their
//	                                         shortest decimal form (12.34, not 12.339999...)
//	name containing INT            int64     INTEGER, BIGINT, SMALLINT, UNSIGNED BIG INT...
//	name containing CHAR/CLOB/TEXT utf8      TEXT, VARCHAR(n), CHARACTER, CLOB...
//	name containing BLOB           binary    text values are kept as their bytes
//	name containing REAL/FLOA/DOUB float64   REAL, DOUBLE, FLOAT; integers are widened
//	anything else, and no declared type      utf8: the value as text
//
// "No declared type" covers every expression of a query (count(*), CAST(...),
// a || b): SQLite reports a declared type only for a result column that
// names a table column directly. Such columns are text in the lake; select
// table columns directly to keep their types. DECIMAL and NUMERIC without a
// precision are text too, since their values have no fixed scale. A DECIMAL
// precision over 38 is an *loaders.UnsupportedTypeError.
//
// A value that does not fit its column's declared type ('abc' in an INTEGER
// column, 1.5 in a DATE column, a timestamp with nanoseconds) fails the Read
// with an error naming table.column, the row, the value and the declared
// type; NULL fits every type.
//
// This package must not know about Parquet, partitions or warehouses, and
// never writes to the database.
package sqlite
