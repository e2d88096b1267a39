package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// The store contract, run against the local folder. An S3 store must pass
// the same checks.
func TestLocalStoreContract(t *testing.T) {
	ctx := context.Background()
	put := func(t *testing.T, s Store, key, body string) {
		t.Helper()
		w, err := s.Create(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	keys := func(t *testing.T, s Store, prefix string) string {
		t.Helper()
		es, err := s.List(ctx, prefix)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range es {
			out = append(out, fmt.Sprintf("%s:%d", e.Key, e.Size))
		}
		return fmt.Sprint(out)
	}
	cases := []struct {
		name string
		run  func(t *testing.T, s *Local)
	}{
		{"an object is invisible until Commit", func(t *testing.T, s *Local) {
			w, err := s.Create(ctx, "a/b.txt")
			if err != nil {
				t.Fatal(err)
			}
			io.WriteString(w, "hello")
			if got := keys(t, s, ""); got != "[]" {
				t.Fatalf("before commit: %s", got)
			}
			if _, err := s.Open(ctx, "a/b.txt"); !errors.Is(err, ErrNotExist) {
				t.Fatalf("open before commit: %v", err)
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s, ""); got != "[a/b.txt:5]" {
				t.Fatalf("after commit: %s", got)
			}
		}},
		{"Abort leaves nothing behind", func(t *testing.T, s *Local) {
			w, _ := s.Create(ctx, "a/b.txt")
			io.WriteString(w, "hello")
			w.Abort()
			des, _ := os.ReadDir(filepath.Join(s.root, "a"))
			if len(des) != 0 {
				t.Fatalf("left %v", des)
			}
		}},
		{"Open reads back with ReaderAt and Size", func(t *testing.T, s *Local) {
			put(t, s, "x/y", "0123456789")
			o, err := s.Open(ctx, "x/y")
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			buf := make([]byte, 3)
			if _, err := o.ReadAt(buf, 4); err != nil || string(buf) != "456" || o.Size() != 10 {
				t.Fatalf("ReadAt = %q, %v, size %d", buf, err, o.Size())
			}
		}},
		{"List filters by a prefix that ends inside a name, sorted", func(t *testing.T, s *Local) {
			put(t, s, "dwh/orders/ds=2026-11-02/f", "1")
			put(t, s, "dwh/orders/ds=2026-11-01/f", "22")
			put(t, s, "dwh/orders/other", "333")
			put(t, s, "dwh/ordersx/ds=2026-11-01/f", "4")
			if got := keys(t, s, "dwh/orders/ds="); got != "[dwh/orders/ds=2026-11-01/f:2 dwh/orders/ds=2026-11-02/f:1]" {
				t.Fatalf("got %s", got)
			}
			if got := keys(t, s, "nothing/here/"); got != "[]" {
				t.Fatalf("missing prefix: %s", got)
			}
		}},
		{"Delete removes a folder prefix and ignores missing keys", func(t *testing.T, s *Local) {
			put(t, s, "t/a/1", "1")
			put(t, s, "t/a/2", "2")
			put(t, s, "t/b", "3")
			if err := s.Delete(ctx, "t/a/"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "t/none"); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s, ""); got != "[t/b:1]" {
				t.Fatalf("got %s", got)
			}
			if err := s.Delete(ctx, ""); err == nil {
				t.Fatal("deleting the whole warehouse was allowed")
			}
		}},
		{"Publish moves a prefix and never replaces one", func(t *testing.T, s *Local) {
			put(t, s, "t/.a1/f", "1")
			put(t, s, "t/.a2/g", "2")
			if err := s.Publish(ctx, "t/.a1/", "t/ds=1/"); err != nil {
				t.Fatal(err)
			}
			if err := s.Publish(ctx, "t/.a2/", "t/ds=1/"); !errors.Is(err, ErrExists) {
				t.Fatalf("second publish: %v", err)
			}
			if got := keys(t, s, "t/ds=1/"); got != "[t/ds=1/f:1]" {
				t.Fatalf("published folder holds %s", got)
			}
		}},
		{"PutIfAbsent creates once", func(t *testing.T, s *Local) {
			if err := s.PutIfAbsent(ctx, "t/_m.json", []byte("first")); err != nil {
				t.Fatal(err)
			}
			if err := s.PutIfAbsent(ctx, "t/_m.json", []byte("second")); !errors.Is(err, ErrExists) {
				t.Fatalf("second PutIfAbsent: %v", err)
			}
			o, _ := s.Open(ctx, "t/_m.json")
			defer o.Close()
			b, _ := io.ReadAll(o)
			if string(b) != "first" {
				t.Fatalf("content %q", b)
			}
			if got := keys(t, s, "t/"); got != "[t/_m.json:5]" {
				t.Fatalf("left %s", got)
			}
		}},
		{"Copy gives dst src's content and leaves src", func(t *testing.T, s *Local) {
			put(t, s, "t/ds=1/tail", "tail bytes")
			if err := s.Copy(ctx, "t/ds=1/tail", "t/.a/tail"); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s, "t/"); got != "[t/.a/tail:10 t/ds=1/tail:10]" {
				t.Fatalf("got %s", got)
			}
			if err := s.Copy(ctx, "t/none", "t/x"); !errors.Is(err, ErrNotExist) {
				t.Fatalf("copy of a missing key: %v", err)
			}
		}},
		{"Publish refuses even an empty existing folder", func(t *testing.T, s *Local) {
			put(t, s, "t/.a1/f", "1")
			os.MkdirAll(filepath.Join(s.root, "t", "ds=1"), 0o755)
			if err := s.Publish(ctx, "t/.a1/", "t/ds=1/"); !errors.Is(err, ErrExists) {
				t.Fatalf("publish over empty folder: %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewLocal(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			tc.run(t, s)
		})
	}
}
