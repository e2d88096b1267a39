// Package partitions owns the ds partition model: where a partition lives,
// what its manifest says, and the write-once protocol that commits it.
//
// Nouns:
//
//   - Key: schema, table and ds of one partition. Its folder is
//     <schema>/<table>/ds=YYYY-MM-DD/ in the warehouse.
//   - Manifest: _manifest.json inside the partition folder. It lists the
//     partition's files and everything needed to trust and reproduce them
//     (source, query, row counts, schema, run id, timings). A partition
//     exists if and only if its manifest is committed; readers never look at
//     a folder without one.
//   - Attempt: one run's try at one partition. It writes into a hidden
//     folder <schema>/<table>/.attempts/<run>-ds=YYYY-MM-DD/ and leaves an
//     owner record beside it (<run>-ds=YYYY-MM-DD.json: host, pid, start).
//     Names starting with "." or "_" are ignored by Trino, Presto, Hive and
//     by lake itself, so nothing of an attempt is ever read as data.
//   - Sweep: removal of attempts whose owner is gone (a crashed or killed run).
//
// Write order (must):
//
//  1. Begin writes the owner record, then the attempt's data files go into
//     the attempt folder.
//  2. The caller verifies the files (Parquet footer, row counts) and Commit
//     checks that the attempt folder holds exactly the manifest's files.
//  3. Commit writes the manifest into the attempt folder, last.
//  4. Commit publishes the attempt folder as the partition folder in one
//     atomic step that never replaces an existing partition
//     (warehouse.Store.Publish: rename with RENAME_NOREPLACE on a folder).
//     Of two runs racing on the same ds exactly one wins; the other gets
//     ErrCommittedByOther and removes its attempt.
//  5. Only then may clusters and _latest views be pointed at the partition.
//
// A crash before step 4 leaves only a hidden attempt, swept by a later run;
// a crash after step 4 leaves a committed partition and a stale owner
// record, also swept. A committed partition is never written to again: a
// re-run of a committed ds is a no-op.
//
// This package must not read sources or talk to clusters.
package partitions
