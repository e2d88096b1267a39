package warehouse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Local is a warehouse in a folder of the local file system.
//
// Writes go to a temporary file next to their key, are fsynced, then
// renamed into place and the folder is fsynced, so a crash leaves either the
// whole object or a hidden temporary file (".tmp-*") that readers ignore.
type Local struct {
	root string
}

var (
	_ Store     = (*Local)(nil)
	_ Publisher = (*Local)(nil)
)

// NewLocal returns a store rooted at dir, creating dir if needed.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("warehouse folder %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("create warehouse folder: %w", err)
	}
	return &Local{root: abs}, nil
}

func (l *Local) String() string { return l.root }

func (l *Local) path(key string) string {
	return filepath.Join(l.root, filepath.FromSlash(strings.TrimSuffix(key, "/")))
}

// Location returns the absolute file path of key.
func (l *Local) Location(key string) string { return l.path(key) }

func (l *Local) Create(ctx context.Context, key string) (Writer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	final := l.path(key)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", key, err)
	}
	f, err := createTemp(dir, filepath.Base(final))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", key, err)
	}
	return &localWriter{f: f, final: final, key: key}, nil
}

// tempPrefix starts the name of every temporary file. The writer's pid
// follows, so that SweepTemp can tell a live write from a killed one.
const tempPrefix = ".tmp-"

func createTemp(dir, base string) (*os.File, error) {
	return os.CreateTemp(dir, tempPrefix+strconv.Itoa(os.Getpid())+"-"+base+"-*")
}

// TempSweeper is implemented by stores whose writes leave temporary files
// behind when a writer is killed.
type TempSweeper interface {
	// SweepTemp removes, below prefix, the temporary files of writers that
	// no longer run.
	SweepTemp(ctx context.Context, prefix string) error
}

var _ TempSweeper = (*Local)(nil)

// SweepTemp removes the temporary files below prefix whose writing process
// is gone. Folders stay: a live writer may have just made one.
func (l *Local) SweepTemp(ctx context.Context, prefix string) error {
	err := filepath.WalkDir(l.path(prefix), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rest, ok := strings.CutPrefix(d.Name(), tempPrefix)
		if !ok {
			return nil
		}
		pidText, _, _ := strings.Cut(rest, "-")
		if pid, err := strconv.Atoi(pidText); err == nil && ProcessAlive(pid) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sweep temporary files under %s: %w", prefix, err)
	}
	return nil
}

type localWriter struct {
	f     *os.File
	final string
	key   string
	done  bool
}

func (w *localWriter) Write(p []byte) (int, error) { return w.f.Write(p) }

func (w *localWriter) Commit() error {
	if w.done {
		return fmt.Errorf("commit %s: already finished", w.key)
	}
	w.done = true
	if err := w.f.Sync(); err != nil {
		w.discard()
		return fmt.Errorf("sync %s: %w", w.key, err)
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("close %s: %w", w.key, err)
	}
	if err := os.Rename(w.f.Name(), w.final); err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("commit %s: %w", w.key, err)
	}
	return syncDir(filepath.Dir(w.final))
}

func (w *localWriter) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.discard()
}

func (w *localWriter) discard() {
	w.f.Close()
	os.Remove(w.f.Name())
}

func (l *Local) Open(ctx context.Context, key string) (Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(l.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open %s: %w", key, ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", key, err)
	}
	return &localObject{File: f, size: st.Size()}, nil
}

type localObject struct {
	*os.File
	size int64
}

func (o *localObject) Size() int64 { return o.size }

// List walks the folder below prefix. Temporary files of unfinished writes
// are left out: they are not objects.
func (l *Local) List(ctx context.Context, prefix string) ([]Entry, error) {
	// A prefix may end inside a name ("dwh/orders/ds="), so walk from the
	// deepest folder the prefix names and filter by key.
	dirKey := prefix
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dirKey = prefix[:i]
	} else {
		dirKey = ""
	}
	start := l.root
	if dirKey != "" {
		start = l.path(dirKey)
	}
	var out []Entry
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		rel, err := filepath.Rel(l.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while listing
			}
			return err
		}
		out = append(out, Entry{Key: key, Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", l.Location(prefix), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// PutIfAbsent writes data to a temporary file, then hard-links it to key:
// link(2) fails if key exists, so the object appears whole or not at all.
func (l *Local) PutIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	final := l.path(key)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", key, err)
	}
	f, err := createTemp(dir, filepath.Base(final))
	if err != nil {
		return fmt.Errorf("create %s: %w", key, err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("create %s: %w", key, err)
	}
	if err := os.Link(f.Name(), final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create %s: %w", key, ErrExists)
		}
		return fmt.Errorf("create %s: %w", key, err)
	}
	return syncDir(dir)
}

// Copy hard-links src to dst: objects are immutable, so sharing the inode is
// safe and costs no bytes. Where links are not possible (another file
// system), it copies.
func (l *Local) Copy(ctx context.Context, src, dst string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	from, to := l.path(src), l.path(dst)
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("copy %s: %w", src, ErrNotExist)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	os.Remove(to)
	if err := os.Link(from, to); err == nil {
		return syncDir(filepath.Dir(to))
	}
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	w, err := l.Create(ctx, dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		w.Abort()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return w.Commit()
}

func (l *Local) Delete(ctx context.Context, prefix string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if prefix == "" || prefix == "/" {
		return fmt.Errorf("delete: refusing to delete the whole warehouse")
	}
	if err := os.RemoveAll(l.path(prefix)); err != nil {
		return fmt.Errorf("delete %s: %w", prefix, err)
	}
	return nil
}

// Publish renames the folder of from to the folder of to. The rename is
// atomic and refuses to replace an existing folder (see renameNoReplace), so
// of two concurrent attempts exactly one wins.
func (l *Local) Publish(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	src, dst := l.path(from), l.path(to)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("publish %s: %w", to, err)
	}
	if err := syncTree(src); err != nil {
		return fmt.Errorf("publish %s: %w", to, err)
	}
	if err := renameNoReplace(src, dst); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("publish %s: %w", to, ErrExists)
		}
		return fmt.Errorf("publish %s: %w", to, err)
	}
	return syncDir(filepath.Dir(dst))
}

// syncTree fsyncs a folder and its entries' names, so that after the rename
// the published folder's content is durable.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return syncDir(p)
		}
		return nil
	})
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync folder %s: %w", dir, err)
	}
	return nil
}
