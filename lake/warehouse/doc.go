// Package warehouse owns the object store that holds the lake: a local
// folder or an S3 bucket (aws-sdk-go-v2), behind one small Store interface.
//
// Nouns:
//
//   - Store: keys ("dwh/orders/ds=2026-11-22/part-....parquet") mapped to
//     immutable objects. Keys use "/" on every platform.
//   - Writer: an object being written; nothing is visible at its key until
//     Commit returns, and Abort leaves nothing behind.
//   - Publisher: a store that can Publish, the one atomic step of the
//     folder commit protocol: everything under a hidden attempt prefix
//     appears under the partition prefix at once, or not at all, and never
//     over an existing partition. A folder can; S3 cannot (no rename).
//   - Swapper: a store with conditional overwrites (S3 If-Match), which
//     partitions uses for its claims where it cannot Publish.
//   - S3: a bucket and prefix. Writes stream as multipart uploads with
//     bounded memory; every request is retried with backoff and jitter on
//     throttling, 5xx and dropped connections; credentials come only from
//     the standard AWS chain.
//
// The store knows nothing of tables, manifests or ds: partitions builds the
// write-once protocol on top of these primitives.
package warehouse
