// Package views owns what analysts see: for every table, which committed
// partitions its table view covers and which ds its <table>_latest view
// points to, and bringing every cluster to that state.
//
// Nouns:
//
//   - Table: a lake table as the warehouse's manifests define it: its
//     committed partitions, their files, the union of their columns, and
//     Latest, the newest committed ds (the target of <table>_latest).
//   - Cluster: one query engine that should show the tables (a DuckDB
//     catalog file, or a Remote).
//   - Remote: a Trino or Presto cluster, synced by diff: what it has is
//     read back and only the missing Steps are run.
//
// The state is computed from the warehouse alone, so a cluster that was
// down, deleted or brand new is brought up to date by the next sync. A
// table that failed tonight has no new manifest, so its _latest keeps
// pointing at its last good partition. This package must not write to the
// warehouse.
package views
