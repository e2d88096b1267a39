package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func newLocal(t *testing.T) *Local {
	t.Helper()
	s, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLocalStoreContract(t *testing.T) {
	testStoreContract(t, func(t *testing.T) Store { return newLocal(t) })
}

// What only a folder promises: no temporary files left, and Publish.
func TestLocalStore(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, s *Local)
	}{
		{"Abort leaves no temporary file behind", func(t *testing.T, s *Local) {
			w, _ := s.Create(ctx, "a/b.txt")
			io.WriteString(w, "hello")
			w.Abort()
			des, _ := os.ReadDir(filepath.Join(s.root, "a"))
			if len(des) != 0 {
				t.Fatalf("left %v", des)
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
			tc.run(t, newLocal(t))
		})
	}
}

func TestSweepTempRemovesOnlyFilesOfDeadWriters(t *testing.T) {
	ctx := context.Background()
	s, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// A writer that exists no more: a process that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.root, "dwh", "orders", ".attempts")
	os.MkdirAll(dir, 0o755)
	dead := filepath.Join(dir, fmt.Sprintf(".tmp-%d-r1-ds=2026-11-22.json-123", cmd.Process.Pid))
	os.WriteFile(dead, []byte("half"), 0o644)
	live, err := s.Create(ctx, "dwh/orders/.attempts/r2-ds=2026-11-22.json")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	if err := s.SweepTemp(ctx, "dwh/orders/.attempts/"); err != nil {
		t.Fatal(err)
	}
	des, _ := os.ReadDir(dir)
	if len(des) != 1 || !strings.HasPrefix(des[0].Name(), fmt.Sprintf(".tmp-%d-r2-", os.Getpid())) {
		t.Fatalf("left %v; want only the live writer's temporary file", des)
	}
	if err := live.Commit(); err != nil {
		t.Fatalf("the live write was disturbed: %v", err)
	}
}
