// Package presto is lake's client of prestodb. prestodb speaks the same
// HTTP client protocol as Trino (POST /v1/statement, then follow nextUri
// until the query is finished) but with X-Presto-* headers, which
// trino-go-client cannot send; this package is a small implementation of
// that protocol, for the DDL and catalog queries lake runs.
//
// Nouns:
//
//   - Config: where a cluster is and who lake is there (URL, user,
//     password or token, catalog, session properties), and HeaderPrefix.
//   - Client: runs one statement at a time; Query returns rows as text.
//
// The protocol loop is verified against a real Trino server with
// HeaderPrefix "X-Trino-": the two protocols differ only in that prefix.
// A real prestodb server is not part of the tests (see README).
//
// This package must not decide what to register; views does.
package presto
