package testenv

import "testing"

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
