package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
)

// put writes an object or ends the test.
func put(t *testing.T, s Store, key, body string) {
	t.Helper()
	if err := Put(context.Background(), s, key, []byte(body)); err != nil {
		t.Fatal(err)
	}
}

// keys lists prefix as "key:size" pairs, in order.
func keys(t *testing.T, s Store, prefix string) string {
	t.Helper()
	es, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s:%d", e.Key, e.Size))
	}
	return fmt.Sprint(out)
}

// testStoreContract checks what every Store promises (store.go). It runs
// against the local folder and against S3 on the test server.
func testStoreContract(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()
	read := func(t *testing.T, s Store, key string) string {
		t.Helper()
		o, err := s.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		b, err := io.ReadAll(o)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cases := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"an object is invisible until Commit", func(t *testing.T, s Store) {
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
		{"Abort leaves no object", func(t *testing.T, s Store) {
			w, _ := s.Create(ctx, "a/b.txt")
			io.WriteString(w, "hello")
			w.Abort()
			w.Abort()
			if got := keys(t, s, ""); got != "[]" {
				t.Fatalf("left %s", got)
			}
		}},
		{"Open reads back with ReaderAt and Size", func(t *testing.T, s Store) {
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
			tail := make([]byte, 4)
			if n, err := o.ReadAt(tail, 8); n != 2 || !errors.Is(err, io.EOF) || string(tail[:n]) != "89" {
				t.Fatalf("ReadAt past the end = %d %q, %v; want 2 \"89\", EOF", n, tail[:n], err)
			}
			if got := read(t, s, "x/y"); got != "0123456789" {
				t.Fatalf("Read = %q", got)
			}
		}},
		{"Open of a missing key is ErrNotExist", func(t *testing.T, s Store) {
			if _, err := s.Open(ctx, "no/such/key"); !errors.Is(err, ErrNotExist) {
				t.Fatalf("got %v", err)
			}
		}},
		{"List filters by a prefix that ends inside a name, sorted", func(t *testing.T, s Store) {
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
		{"Delete removes a folder prefix and ignores missing keys", func(t *testing.T, s Store) {
			put(t, s, "t/a/1", "1")
			put(t, s, "t/a/2", "2")
			put(t, s, "t/b", "3")
			put(t, s, "t/ab", "4")
			if err := s.Delete(ctx, "t/a/"); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, "t/none"); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s, ""); got != "[t/ab:1 t/b:1]" {
				t.Fatalf("got %s", got)
			}
			if err := s.Delete(ctx, "t/b"); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s, ""); got != "[t/ab:1]" {
				t.Fatalf("after deleting a key: %s", got)
			}
			if err := s.Delete(ctx, ""); err == nil {
				t.Fatal("deleting the whole warehouse was allowed")
			}
		}},
		{"PutIfAbsent creates once", func(t *testing.T, s Store) {
			if err := s.PutIfAbsent(ctx, "t/_m.json", []byte("first")); err != nil {
				t.Fatal(err)
			}
			if err := s.PutIfAbsent(ctx, "t/_m.json", []byte("second")); !errors.Is(err, ErrExists) {
				t.Fatalf("second PutIfAbsent: %v", err)
			}
			if got := read(t, s, "t/_m.json"); got != "first" {
				t.Fatalf("content %q", got)
			}
			if got := keys(t, s, "t/"); got != "[t/_m.json:5]" {
				t.Fatalf("left %s", got)
			}
		}},
		{"Copy gives dst src's content and leaves src", func(t *testing.T, s Store) {
			put(t, s, "t/ds=1/tail", "tail bytes")
			put(t, s, "t/.a/tail", "old")
			if err := s.Copy(ctx, "t/ds=1/tail", "t/.a/tail"); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s, "t/"); got != "[t/.a/tail:10 t/ds=1/tail:10]" {
				t.Fatalf("got %s", got)
			}
			if got := read(t, s, "t/.a/tail"); got != "tail bytes" {
				t.Fatalf("copy holds %q", got)
			}
			if err := s.Copy(ctx, "t/none", "t/x"); !errors.Is(err, ErrNotExist) {
				t.Fatalf("copy of a missing key: %v", err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t))
		})
	}
}
