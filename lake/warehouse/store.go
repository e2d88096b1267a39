package warehouse

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotExist is returned (wrapped) when a key or prefix does not exist.
var ErrNotExist = errors.New("does not exist")

// ErrExists is returned (wrapped) by PutIfAbsent when the key exists and by
// Publish when the target prefix exists.
var ErrExists = errors.New("already exists")

// ErrChanged is returned (wrapped) by ReplaceIfMatch when the object is no
// longer the version the caller read.
var ErrChanged = errors.New("changed since it was read")

// Entry is one object in a listing.
type Entry struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Writer is an object being written.
type Writer interface {
	io.Writer
	// Commit makes the object durable and visible at its key.
	Commit() error
	// Abort discards what was written; it is safe after Commit (no-op).
	Abort()
}

// Object is a committed object opened for reading.
type Object interface {
	io.ReaderAt
	io.Reader
	io.Closer
	Size() int64
}

// Store is a warehouse: a local folder or an S3 bucket and prefix.
type Store interface {
	// String describes the store for logs; it never contains secrets.
	String() string
	// Create starts writing an object at key, replacing nothing until Commit.
	Create(ctx context.Context, key string) (Writer, error)
	// Open opens a committed object; a missing key returns an error that
	// satisfies errors.Is(err, ErrNotExist).
	Open(ctx context.Context, key string) (Object, error)
	// List returns every object whose key starts with prefix, recursively,
	// sorted by key. A missing prefix is an empty listing.
	List(ctx context.Context, prefix string) ([]Entry, error)
	// PutIfAbsent writes data at key only if no object exists there, in one
	// atomic step (S3: If-None-Match: *). If one exists, nothing changes and
	// the error satisfies errors.Is(err, ErrExists).
	PutIfAbsent(ctx context.Context, key string, data []byte) error
	// Copy makes dst an object with src's content without the bytes passing
	// through lake where the store allows it (S3: CopyObject; a folder: a
	// hard link). dst is replaced if it exists.
	Copy(ctx context.Context, src, dst string) error
	// Delete removes every object under prefix (a key or a folder prefix
	// ending in "/"), and discards unfinished writes under it (S3:
	// incomplete multipart uploads). Missing objects are not an error.
	Delete(ctx context.Context, prefix string) error
	// Location is what a query engine reads for key: an absolute file path
	// for a folder, an s3:// URL for a bucket.
	Location(key string) string
}

// Publisher is a store that can move a whole prefix in one atomic step (a
// folder: rename). partitions commits through it when a store has it.
type Publisher interface {
	// Publish atomically makes every object under prefix from appear under
	// prefix to (both end in "/"). If anything exists under to, nothing
	// changes and the error satisfies errors.Is(err, ErrExists).
	Publish(ctx context.Context, from, to string) error
}

// Swapper is a store with conditional overwrites (S3: If-Match on an
// ETag). partitions builds its partition claims on it when a store cannot
// Publish.
type Swapper interface {
	// ReadVersion returns the content of key and an opaque version of it. A
	// missing key returns an error satisfying errors.Is(err, ErrNotExist).
	ReadVersion(ctx context.Context, key string) (data []byte, version string, err error)
	// ReplaceIfMatch writes data at key only if key still holds version, in
	// one atomic step, and returns the new version. Otherwise nothing
	// changes and the error satisfies errors.Is(err, ErrChanged).
	ReplaceIfMatch(ctx context.Context, key string, data []byte, version string) (string, error)
}

// Put writes data as the object at key.
func Put(ctx context.Context, s Store, key string, data []byte) error {
	w, err := s.Create(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}
