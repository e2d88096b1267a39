package warehouse

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lake-engine/lake/localstack/testenv"
)

func newTestS3(t *testing.T, mod func(*S3Options)) *S3 {
	t.Helper()
	srv := testenv.S3(t)
	opts := S3Options{Bucket: srv.Bucket, Prefix: srv.Prefix, Region: srv.Region, Endpoint: srv.Endpoint, PathStyle: true,
		PartSize: MinPartSize, UploadConcurrency: 2}
	if mod != nil {
		mod(&opts)
	}
	s, err := NewS3(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestS3StoreContract(t *testing.T) {
	testStoreContract(t, func(t *testing.T) Store { return newTestS3(t, nil) })
}

// pattern is size bytes that differ at every offset modulo a prime, so a
// misplaced part shows.
func pattern(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func TestS3Store(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, s *S3)
	}{
		{"an object of several parts reads back byte for byte", func(t *testing.T, s *S3) {
			data := pattern(2*MinPartSize + 12345)
			w, _ := s.Create(ctx, "big/f")
			for chunk := data; len(chunk) > 0; {
				n := min(len(chunk), 100_000)
				if _, err := w.Write(chunk[:n]); err != nil {
					t.Fatal(err)
				}
				chunk = chunk[n:]
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			o, err := s.Open(ctx, "big/f")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(o)
			if sha256.Sum256(got) != sha256.Sum256(data) {
				t.Fatalf("read back %d bytes that differ from the %d written", len(got), len(data))
			}
			mid := make([]byte, 10)
			o.ReadAt(mid, MinPartSize-5)
			if !bytes.Equal(mid, data[MinPartSize-5:MinPartSize+5]) {
				t.Fatal("ReadAt across a part boundary differs")
			}
		}},
		{"Abort after parts were uploaded leaves no incomplete upload", func(t *testing.T, s *S3) {
			w, _ := s.Create(ctx, "big/g")
			w.Write(pattern(MinPartSize + 1))
			w.Abort()
			ups, err := s.Uploads(ctx, "")
			if err != nil || len(ups) != 0 {
				t.Fatalf("uploads left: %v, %v", ups, err)
			}
		}},
		{"Delete aborts incomplete uploads under the prefix", func(t *testing.T, s *S3) {
			w, _ := s.Create(ctx, "t/.attempts/r1/f")
			w.Write(pattern(MinPartSize + 1)) // a part is uploaded, then the run "dies"
			ups, _ := s.Uploads(ctx, "t/")
			if len(ups) != 1 {
				t.Fatalf("want one upload in flight, got %v", ups)
			}
			if err := s.Delete(ctx, "t/.attempts/r1/"); err != nil {
				t.Fatal(err)
			}
			if ups, _ := s.Uploads(ctx, "t/"); len(ups) != 0 {
				t.Fatalf("uploads left: %v", ups)
			}
		}},
		{"ReplaceIfMatch replaces only the version read", func(t *testing.T, s *S3) {
			Put(ctx, s, "c.json", []byte("v1"))
			_, v1, err := s.ReadVersion(ctx, "c.json")
			if err != nil {
				t.Fatal(err)
			}
			v2, err := s.ReplaceIfMatch(ctx, "c.json", []byte("v2"), v1)
			if err != nil || v2 == v1 {
				t.Fatalf("replace: version %q, %v", v2, err)
			}
			if _, err := s.ReplaceIfMatch(ctx, "c.json", []byte("v3"), v1); !errors.Is(err, ErrChanged) {
				t.Fatalf("replace of a stale version: %v", err)
			}
			if data, _, _ := s.ReadVersion(ctx, "c.json"); string(data) != "v2" {
				t.Fatalf("holds %q", data)
			}
			if _, err := s.ReplaceIfMatch(ctx, "gone.json", []byte("x"), v1); !errors.Is(err, ErrChanged) {
				t.Fatalf("replace of a missing key: %v", err)
			}
		}},
		{"a missing bucket is named in the error", func(t *testing.T, s *S3) {
			s.opts.Bucket = "no-such-bucket-lake"
			_, err := s.List(ctx, "x/")
			if err == nil || !strings.Contains(err.Error(), "bucket no-such-bucket-lake does not exist") {
				t.Fatalf("got %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newTestS3(t, nil)) })
	}
}

func TestS3RetriesThroughFaults(t *testing.T) {
	srv := testenv.S3(t)
	ctx := context.Background()
	t.Run("503s, 500s, resets and slow answers are retried", func(t *testing.T) {
		p := testenv.NewFaultProxy(t, srv.Endpoint, func(n int64) testenv.Fault {
			return []testenv.Fault{testenv.SlowDown, testenv.Pass, testenv.Reset, testenv.Pass, testenv.Slow, testenv.ServerErr, testenv.Pass}[n%7]
		})
		s := newTestS3(t, func(o *S3Options) { o.Endpoint = p.URL; o.MaxBackoff = 50 * time.Millisecond })
		data := pattern(MinPartSize*2 + 7)
		if err := Put(ctx, s, "f", data); err != nil {
			t.Fatal(err)
		}
		o, err := s.Open(ctx, "f")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(o)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, %v", len(got), err)
		}
		if p.Faults.Load() < 3 {
			t.Fatalf("only %d faults injected", p.Faults.Load())
		}
	})
	t.Run("faults that never stop fail with a clear message", func(t *testing.T) {
		p := testenv.NewFaultProxy(t, srv.Endpoint, func(int64) testenv.Fault { return testenv.SlowDown })
		s := newTestS3(t, func(o *S3Options) { o.Endpoint = p.URL; o.MaxBackoff = 20 * time.Millisecond; o.MaxAttempts = 4 })
		err := Put(ctx, s, "f", []byte("x"))
		if err == nil || !strings.Contains(err.Error(), "still failing after 4 attempts") || !strings.Contains(err.Error(), "SlowDown") {
			t.Fatalf("got %v", err)
		}
	})
}

// Uploading an object many times larger than part size × concurrency keeps
// the heap near that bound.
func TestS3UploadMemoryIsBounded(t *testing.T) {
	s := newTestS3(t, nil) // 5 MiB parts, 2 at once: at most 15 MiB of buffers
	const total = 120 << 20
	chunk := pattern(1 << 20)
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	}()
	w, _ := s.Create(context.Background(), "big/h")
	for written := 0; written < total; written += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-done
	grew := int64(peak.Load()) - int64(base.HeapInuse)
	t.Logf("uploaded %d MiB; heap grew by at most %d MiB", total>>20, grew>>20)
	if grew > 48<<20 {
		t.Fatalf("heap grew by %d MiB while uploading %d MiB with 15 MiB of part buffers", grew>>20, total>>20)
	}
}
