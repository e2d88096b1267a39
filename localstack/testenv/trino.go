package testenv

import (
	"context"
	"strings"
	"testing"

	"github.com/lake-engine/lake/sql/trino"
)

// URLs of the two test Trino servers, as exported by localstack/services.sh
// (localstack/services/trino.sh). Each has a Hive catalog "hive" on the
// test S3 server with a file metastore of its own; server 1 also has an
// empty catalog "fresh" (a brand new cluster, at no extra JVM).
const (
	Trino1Env = "LAKE_TEST_TRINO1_URL"
	Trino2Env = "LAKE_TEST_TRINO2_URL"
)

// Trino returns the URLs of the two test Trino servers, or ends the test: a
// failure under CI=true, a skip that says how to start them otherwise.
func Trino(t testing.TB) (server1, server2 string) {
	t.Helper()
	return require(t, Trino1Env, "Trino"), require(t, Trino2Env, "Trino")
}

// TrinoClient connects to catalog on the Trino server at url as an analyst
// would, closed when the test ends.
func TrinoClient(t testing.TB, url, catalog string) *trino.Client {
	t.Helper()
	c, err := trino.Open(trino.Config{URL: url, User: "analyst", Catalog: catalog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TrinoRows returns the rows of q, values joined by | and rows by newlines.
func TrinoRows(t testing.TB, c *trino.Client, q string) string {
	t.Helper()
	rows, err := c.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = strings.Join(r, "|")
	}
	return strings.Join(lines, "\n")
}
