// Package loadertest holds what the loaders' tests share: a RecordSink that
// keeps every batch, a conversion of Arrow values into Go values that test
// tables can spell, and checks every loader must pass (CheckBatchBytes,
// CheckReadReleasesLocks). It is imported by tests only.
package loadertest
