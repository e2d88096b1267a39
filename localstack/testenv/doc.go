// Package testenv is the one place tests find the real servers started by
// localstack/services.sh (`make services`). It reads their endpoints from
// the environment. When a server is missing, a test fails under CI=true and
// skips with instructions otherwise; it never silently passes. It also
// holds the fault injectors that stand between a test and a server: an
// HTTP proxy that fails S3 requests (FaultProxy) and a TCP proxy that holds
// a client's statement back (HoldProxy).
package testenv
