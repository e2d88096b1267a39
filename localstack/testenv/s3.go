package testenv

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

// S3 endpoint and bucket of the test S3 server (LocalStack), as exported by
// localstack/services.sh; credentials are the standard AWS_* variables.
const (
	S3EndpointEnv = "LAKE_TEST_S3_ENDPOINT"
	S3BucketEnv   = "LAKE_TEST_S3_BUCKET"
)

// S3Server is the test S3 server and a prefix of the bucket that belongs to
// one test.
type S3Server struct {
	Endpoint string // e.g. http://127.0.0.1:54566
	Bucket   string
	Prefix   string // unique per call, e.g. t-1f3a...
	Region   string
}

// URL is the s3:// URL of the test's prefix: a warehouse of its own.
func (s S3Server) URL() string { return "s3://" + s.Bucket + "/" + s.Prefix }

// S3 returns the test S3 server with a fresh prefix, or ends the test: a
// failure under CI=true, a skip that says how to start the server otherwise.
func S3(t testing.TB) S3Server {
	t.Helper()
	endpoint := require(t, S3EndpointEnv, "S3 (LocalStack)")
	bucket := require(t, S3BucketEnv, "S3 (LocalStack)")
	for _, v := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		require(t, v, "S3 (LocalStack) credentials")
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = "us-east-1"
	}
	return S3Server{Endpoint: endpoint, Bucket: bucket, Region: region, Prefix: fmt.Sprintf("t-%016x", rand.Uint64())}
}
