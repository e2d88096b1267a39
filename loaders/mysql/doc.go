// Package mysql is the MySQL / MariaDB loader: a loaders.Source whose
// snapshots stream the rows of tables and SELECTs as Arrow record batches,
// through github.com/go-sql-driver/mysql.
//
// Nouns:
//
//   - Source: one server (and default database), given by a DSN in the
//     driver's form user:password@tcp(host:3306)/db?param=value. Open checks
//     that it connects; errors never contain the password.
//   - Snapshot: one connection in a REPEATABLE READ transaction started
//     WITH CONSISTENT SNAPSHOT, READ ONLY, with the session in time_zone
//     '+00:00' and utf8mb4. Every Count and Read on it sees the InnoDB data
//     as of the Snapshot call. Tables of engines without MVCC (MyISAM, MEMORY)
//     are read as they are at the moment of each statement. A failed Read or
//     Count leaves the snapshot usable for the other tables: a failed read is
//     stopped with KILL QUERY from a second connection, not drained. Like
//     mysqldump --single-transaction, each Count and Read runs between a
//     savepoint and a rollback to it, which frees the metadata locks it
//     took: an ALTER TABLE of a table read does not wait for Close. A
//     statement waits for a metadata lock at most the Source's
//     LockTimeout (lock_wait_timeout), then fails saying so.
//   - Slice: a query bounded by a DATE, DATETIME or TIMESTAMP column,
//     wrapped as SELECT * FROM (query) AS lake_query WHERE col >= ? (or
//     col < ? OR col IS NULL). A DATE compares with the bound's date, a
//     DATETIME with its wall clock, a TIMESTAMP with the instant; any other
//     column type is refused.
//   - mapping (types.go): how one result column type becomes an Arrow type,
//     and the appender that stores one value of the binary protocol into an
//     Arrow builder.
//
// Rows are read with the binary protocol (a prepared statement), which sends
// FLOAT and DOUBLE as their exact IEEE bits (MariaDB prints FLOAT with six
// digits in the text protocol). They are streamed a row at a time from the
// server into reused builders, a batch at a time: memory depends on the
// batch size, not on the table size. Column types come from the result's
// metadata (type, unsigned flag, precision and scale) and are resolved
// before any row is read: an unsupported column fails with a
// *loaders.UnsupportedTypeError and no row reaches the sink.
//
// Type mapping (every Arrow field is nullable; loaders.Column.SourceType
// and the field's loaders.MetaSourceType metadata hold the type as the
// result metadata names it, such as "decimal(12,2)", "bigint unsigned" or
// "datetime(6)"; the metadata has no display width or size, so tinyint(1)
// is "tinyint", varchar(20) is "varchar" and longtext is "text"):
//
//	tinyint (and bool, tinyint(1))  int8: MySQL has no boolean type; BOOL is tinyint(1),
//	                                which may hold -128..127, so nothing is narrowed to bool
//	smallint, mediumint, int        int16, int32, int32
//	bigint                          int64
//	tinyint/smallint unsigned       int16, int32 (the next wider signed type)
//	mediumint/int unsigned          int32, int64
//	bigint unsigned                 decimal128(20,0): values above 2^63-1 are kept
//	decimal(p,s), 1<=p<=38          decimal128(p,s)
//	decimal(p,s), p > 38            utf8: the exact decimal text
//	float, double                   float32, float64
//	bit(n)                          int64, the bits as an unsigned number; a bit(64) value
//	                                at or above 2^63 fails (read CAST(col AS UNSIGNED))
//	year                            int16 (the zero year 0000 is 0)
//	char, varchar, tinytext, text,  utf8 (char trailing spaces are removed by the server)
//	mediumtext, longtext, enum, set,
//	json
//	binary, varbinary, tinyblob,    binary
//	blob, mediumblob, longblob
//	date                            date32
//	datetime                        timestamp[us] (no time zone)
//	timestamp                       timestamp[us, "UTC"]
//	NULL (SELECT NULL)              utf8, every value NULL
//
// MariaDB's JSON is a LONGTEXT: it is described (and mapped) as "text".
//
// Zero dates: '0000-00-00', '0000-00-00 00:00:00' and dates with a zero
// month or day ('2024-00-15'), which MySQL stores when sql_mode allows them,
// have no Arrow value. They fail the read, naming table.column and row, and
// the error says how to turn them into NULL in a query (NULLIF(col, 0)).
// Nothing is dropped or invented silently. Invalid dates stored under
// ALLOW_INVALID_DATES ('2024-02-31') fail the same way.
//
// time, geometry and any other type are an *loaders.UnsupportedTypeError:
// cast them in a query (CAST(col AS CHAR), TIME_TO_SEC(col), ST_AsText(col)).
//
// Known limit: the driver reports the precision of DECIMAL UNSIGNED (a
// deprecated MySQL feature) one digit short; a value that uses every digit
// fails with "does not fit". Cast such a column to a signed DECIMAL(p,s).
//
// This package must not know about partitions, warehouses or clusters, and
// never writes to the source.
package mysql
