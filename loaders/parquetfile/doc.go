// Package parquetfile owns encoding Arrow record batches as Parquet files and
// checking finished files with an independent Parquet reader.
//
// Nouns:
//
//   - Writer: a loaders.RecordSink that encodes the batches of one Read into
//     a sequence of Parquet files (part 0, 1, 2...). It sizes row groups and
//     files by bytes, rolls to a new file only between batches, and counts the
//     rows, bytes and SHA-256 of every file while writing it.
//   - Destination: where one file's bytes go (a temporary local file, a
//     multipart upload). Commit makes it durable and visible; Abort discards it.
//   - CreateFunc: opens Destination number seq and names the file. The caller
//     decides names and places; this package never builds paths.
//   - File: what was written: name, rows, bytes and SHA-256, as recorded in a
//     manifest.
//   - Verify: opens a finished file with parquet-go (not the arrow-go code
//     that wrote it) and checks its footer, row count and column names.
//
// The files use types that DuckDB, Trino and Spark read the same way:
// timestamps are INT64 TIMESTAMP(MICROS) (isAdjustedToUTC only for
// zone-aware Arrow timestamps), decimals are DECIMAL, strings are STRING,
// dates are DATE and lists are the standard 3-level LIST. Decimals of up to
// 18 digits are stored as INT32/INT64. Statistics are on; the Arrow schema
// is stored in the footer. Encodings are chosen per column from the first
// batch (encoding.go): a dictionary where values come from a small set,
// DELTA_BINARY_PACKED for other integer-backed columns, plain otherwise.
//
// Speed: the columns of a batch are encoded on several goroutines
// (columns.go: lake drives arrow-go's buffered row group and computes the
// levels itself); the values of dictionary columns (strings, and integers,
// dates, timestamps and decimals stored as integers) reach arrow-go as
// indices into a per-row-group dictionary (dictionary.go, intdict.go),
// counted so that their data pages are cut at Options.PageBytes of values,
// as PLAIN pages are (writeIndices); pages are compressed by the zstd C
// library (zstd.go). None of them changes what a reader sees.
//
// Memory: one row group is buffered, compressed; each column holds the
// page it is building. Pages are cut at 256 KiB rather than the usual
// 1 MiB, which took a third off lake's memory (Options.PageBytes).
//
// This package must not know about partitions, warehouses, manifests or
// sources: it encodes batches it is given into destinations it is given.
package parquetfile
