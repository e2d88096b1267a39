package lake_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/partitions"
)

// Three weeks of nights of an incremental table on the S3 warehouse: see
// runThreeWeeks. lake reaches S3 through a proxy that counts the body bytes
// of every request and response, so a recent night shows that its tail
// files are server-side copies: lake uploads a small fraction of their
// bytes that night and downloads next to none of them, and each has the
// size and ETag of the file in the tail partition.
func TestIncrementalThreeWeeksOnS3(t *testing.T) {
	ctx := context.Background()
	srv := testenv.S3(t)
	proxy := testenv.NewFaultProxy(t, srv.Endpoint, func(int64) testenv.Fault { return testenv.Pass })
	open := func(endpoint string) *warehouse.S3 {
		s, err := warehouse.NewS3(ctx, warehouse.S3Options{Bucket: srv.Bucket, Prefix: srv.Prefix, Region: srv.Region,
			Endpoint: endpoint, PathStyle: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The test reads past the proxy: only lake's own traffic is counted.
	store, viaProxy := open(srv.Endpoint), open(proxy.URL)
	t.Cleanup(func() { deleteWarehouse(t, store) })

	var nightStart int // the proxy's exchanges before tonight's run
	runThreeWeeks(t, incrementalWarehouse{
		store: store,
		lake:  viaProxy,
		// About 300 KB of tail files, against a few KB for a night's
		// recent rows, manifest and records.
		oldRows:     8000,
		beforeNight: func() { nightStart = len(proxy.Exchanges()) },
		carried: func(t *testing.T, src, dst partitions.Key, tail []partitions.File) {
			t.Helper()
			var tailBytes, sent, tailMoved int64
			for _, f := range tail {
				tailBytes += f.Bytes
				from, fromTag, err := store.ReadVersion(ctx, src.Prefix()+f.Name)
				if err != nil {
					t.Fatal(err)
				}
				to, toTag, err := store.ReadVersion(ctx, dst.Prefix()+f.Name)
				if err != nil {
					t.Fatal(err)
				}
				if int64(len(to)) != f.Bytes || len(to) != len(from) || toTag != fromTag {
					t.Errorf("%s of %s: %d bytes, ETag %s; in %s: %d bytes, ETag %s; manifest: %d bytes",
						f.Name, dst, len(to), toTag, src, len(from), fromTag, f.Bytes)
				}
			}
			if tailBytes < 200_000 {
				t.Fatalf("%s: tail files of %d bytes are too small to tell a copy from an upload", dst, tailBytes)
			}
			for _, x := range proxy.Exchanges()[nightStart:] {
				sent += x.Sent
				for _, f := range tail {
					if strings.HasSuffix(x.Path, "/"+f.Name) {
						tailMoved += x.Sent + x.Received
					}
				}
			}
			// Uploading the tail files would send all their bytes. The only
			// reads of them are DuckDB's, of Parquet footers (16 KiB each)
			// when the partition is registered.
			if sent > tailBytes/10 || tailMoved > tailBytes/5 {
				t.Errorf("%s: lake sent %d bytes in all, and moved %d bytes of the tail files it carried, which hold %d",
					dst, sent, tailMoved, tailBytes)
			}
		},
	})

	// The counts are real: the tail nights uploaded their tail files.
	parts, err := partitions.List(ctx, store, "dwh/orders/")
	if err != nil {
		t.Fatal(err)
	}
	var written, sent int64
	for _, p := range parts {
		if p.Manifest.Mode == partitions.ModeTail {
			for _, f := range p.Manifest.TailFiles() {
				written += f.Bytes
			}
		}
	}
	for _, x := range proxy.Exchanges() {
		sent += x.Sent
	}
	if written == 0 || sent < written {
		t.Errorf("the proxy counted %d bytes sent in all; the tail nights wrote %d bytes of tail files", sent, written)
	}
}

// deleteWarehouse removes every object of the test's S3 prefix.
func deleteWarehouse(t *testing.T, store *warehouse.S3) {
	ctx := context.Background()
	entries, err := store.List(ctx, "")
	if err != nil {
		t.Log(err)
		return
	}
	folders := map[string]bool{}
	for _, e := range entries {
		folder, _, nested := strings.Cut(e.Key, "/")
		if !nested {
			folder = e.Key // an object at the top: Delete takes it as a key
		} else {
			folder += "/"
		}
		folders[folder] = true
	}
	for f := range folders {
		if err := store.Delete(ctx, f); err != nil {
			t.Log(err)
		}
	}
}
