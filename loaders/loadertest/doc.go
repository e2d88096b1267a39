// Package loadertest holds what the loaders' tests share: a RecordSink that
// keeps every batch, and a conversion of Arrow values into Go values that
// test tables can spell. It is imported by tests only.
package loadertest
