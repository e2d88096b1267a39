package partitions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/localstack/testenv"
)

func newS3(t *testing.T) *warehouse.S3 {
	t.Helper()
	srv := testenv.S3(t)
	s, err := warehouse.NewS3(context.Background(), warehouse.S3Options{Bucket: srv.Bucket, Prefix: srv.Prefix,
		Region: srv.Region, Endpoint: srv.Endpoint, PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Delete(context.Background(), "dwh/") })
	return s
}

func s3Keys(t *testing.T, s warehouse.Store, prefix string) []string {
	t.Helper()
	es, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, strings.TrimPrefix(e.Key, prefix))
	}
	return out
}

// deadClaim leaves the claim of a committer that died: a pid that cannot
// run on this host.
func deadClaim(t *testing.T, s warehouse.Store, k Key, expires time.Time) {
	t.Helper()
	host, _ := os.Hostname()
	data, _ := json.Marshal(Claim{RunID: "dead-run", Host: host, PID: 1 << 30, Expires: expires})
	if err := s.PutIfAbsent(context.Background(), claimKey(k), data); err != nil {
		t.Fatal(err)
	}
}

func TestCommitByClaimOnS3(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, s *warehouse.S3)
	}{
		{"a commit leaves exactly the manifest's files, no attempt and no claim", func(t *testing.T, s *warehouse.S3) {
			a, m := writeAttempt(t, s, orders, "r1", "aaa", "bb")
			if err := a.Commit(ctx, m); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(s3Keys(t, s, orders.TablePrefix())); got != "[ds=2026-11-22/_manifest.json ds=2026-11-22/part-r1-00000.parquet ds=2026-11-22/part-r1-00001.parquet]" {
				t.Fatalf("table holds %s", got)
			}
		}},
		{"of two racing commits exactly one wins", func(t *testing.T, s *warehouse.S3) {
			a1, m1 := writeAttempt(t, s, orders, "r1", "one")
			a2, m2 := writeAttempt(t, s, orders, "r2", "two", "two")
			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Go(func() { errs[0] = a1.Commit(ctx, m1) })
			wg.Go(func() { errs[1] = a2.Commit(ctx, m2) })
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, ErrCommittedByOther):
					t.Fatal(err)
				}
			}
			m, err := ReadManifest(ctx, s, orders)
			if won != 1 || err != nil {
				t.Fatalf("%d won; manifest: %v", won, err)
			}
			want := []string{"_manifest.json"}
			for _, f := range m.Files {
				want = append(want, f.Name)
			}
			if got := s3Keys(t, s, orders.Prefix()); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("folder holds %v, manifest lists %v", got, want)
			}
			if left := s3Keys(t, s, orders.TablePrefix()+"."); len(left) > 0 {
				t.Fatalf("left %v", left)
			}
		}},
		{"a dead committer's claim is taken over and its copies removed", func(t *testing.T, s *warehouse.S3) {
			deadClaim(t, s, orders, time.Now().Add(time.Hour))
			warehouse.Put(ctx, s, orders.Prefix()+"part-dead-run-00000.parquet", []byte("half"))
			a, m := writeAttempt(t, s, orders, "r2", "fresh")
			if err := a.Commit(ctx, m); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(s3Keys(t, s, orders.Prefix())); got != "[_manifest.json part-r2-00000.parquet]" {
				t.Fatalf("folder holds %s", got)
			}
		}},
		{"sweep removes a dead claim and its copies, not a committed partition or a live attempt", func(t *testing.T, s *warehouse.S3) {
			done := Key{Schema: "dwh", Table: "orders", DS: "2026-11-21"}
			a, m := writeAttempt(t, s, done, "r0", "kept")
			if err := a.Commit(ctx, m); err != nil {
				t.Fatal(err)
			}
			deadClaim(t, s, orders, time.Now().Add(-time.Minute)) // expired
			warehouse.Put(ctx, s, orders.Prefix()+"part-dead-run-00000.parquet", []byte("half"))
			live, _ := writeAttempt(t, s, orders, "live", "in progress") // this process: alive
			if _, err := Sweep(ctx, s, "dwh", "orders", time.Now()); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(s3Keys(t, s, orders.TablePrefix()))
			want := "[.attempts/live-ds=2026-11-22.json .attempts/live-ds=2026-11-22/part-live-00000.parquet ds=2026-11-21/_manifest.json ds=2026-11-21/part-r0-00000.parquet]"
			if got != want {
				t.Fatalf("after sweep:\n%s\nwant\n%s", got, want)
			}
			live.Abort(ctx)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newS3(t)) })
	}
}
