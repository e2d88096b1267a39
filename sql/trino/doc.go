// Package trino is lake's client of Trino: it runs the statements of the
// sql.Hive dialect through the Trino client protocol, with
// github.com/trinodb/trino-go-client (which announces PARAMETRIC_DATETIME,
// so timestamp(6) values keep their microseconds).
//
// Nouns:
//
//   - Config: where a cluster is and who lake is there (URL, user,
//     password or token, catalog, session properties).
//   - Client: a connection pool to one cluster; Query returns rows as text.
//
// This package must not decide what to register; views does.
package trino
