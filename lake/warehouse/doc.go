// Package warehouse owns the object store that holds the lake: a local
// folder now, S3 later, behind one small Store interface.
//
// Nouns:
//
//   - Store: keys ("dwh/orders/ds=2026-11-22/part-....parquet") mapped to
//     immutable objects. Keys use "/" on every platform.
//   - Writer: an object being written; nothing is visible at its key until
//     Commit returns, and Abort leaves nothing behind.
//   - Publish: the one atomic step of the commit protocol: everything under a
//     hidden attempt prefix appears under the partition prefix at once, or
//     not at all, and never over an existing partition.
//
// The store knows nothing of tables, manifests or ds: partitions builds the
// write-once protocol on top of these primitives.
package warehouse
