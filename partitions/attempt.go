package partitions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
)

// ErrLeftovers is returned (wrapped) by Commit when the partition was
// committed but a clean-up after the commit point failed: removing the
// attempt's files or owner record, or (S3) files in the folder that the
// manifest does not list. The partition is committed; a later run's Sweep
// removes the leftovers (on S3 the claim is kept until then).
var ErrLeftovers = errors.New("the partition is committed, but its clean-up failed; a later run removes the leftovers")

// ErrCommittedByOther is returned (wrapped) by Commit when another run
// committed the same partition first.
var ErrCommittedByOther = errors.New("partition was committed by another run")

// Owner records who is writing an attempt, so that a later run can tell a
// live attempt from the leftovers of a crashed one.
type Owner struct {
	RunID   string    `json:"run_id"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// Attempt is one run's try at one partition. Use Begin, write files with
// Create, then Commit or Abort.
type Attempt struct {
	store warehouse.Store
	key   Key
	runID string
	// prefix is the attempt's hidden folder; ownerKey its owner record.
	prefix   string
	ownerKey string
}

func attemptName(runID, ds string) string { return runID + "-ds=" + ds }

// Begin starts an attempt at k for run runID. It writes the owner record
// first, so that the attempt's files always have an owner to check.
func Begin(ctx context.Context, store warehouse.Store, k Key, runID string) (*Attempt, error) {
	host, _ := os.Hostname()
	name := attemptName(runID, k.DS)
	a := &Attempt{
		store:    store,
		key:      k,
		runID:    runID,
		prefix:   k.TablePrefix() + attemptsDir + "/" + name + "/",
		ownerKey: k.TablePrefix() + attemptsDir + "/" + name + ".json",
	}
	owner := Owner{RunID: runID, Host: host, PID: os.Getpid(), Started: time.Now().UTC()}
	if err := putJSON(ctx, store, a.ownerKey, owner); err != nil {
		return nil, fmt.Errorf("begin %s: %w", k, err)
	}
	return a, nil
}

// Key returns the partition the attempt writes.
func (a *Attempt) Key() Key { return a.key }

// FileName returns the name of data file number seq of this attempt. Names
// carry the run id, so files of two attempts can never be confused.
func (a *Attempt) FileName(seq int) string {
	return fmt.Sprintf("part-%s-%05d.parquet", a.runID, seq)
}

// Create opens data file number seq for writing inside the attempt.
func (a *Attempt) Create(ctx context.Context, seq int) (string, warehouse.Writer, error) {
	name := a.FileName(seq)
	w, err := a.store.Create(ctx, a.prefix+name)
	if err != nil {
		return "", nil, err
	}
	return name, w, nil
}

// Open opens a data file written by this attempt, to verify it.
func (a *Attempt) Open(ctx context.Context, name string) (warehouse.Object, error) {
	return a.store.Open(ctx, a.prefix+name)
}

// Carry puts data file name of the committed partition from into the
// attempt under the same name, by Store.Copy: no bytes pass through lake
// where the store allows it (S3 CopyObject, a hard link locally). It is how
// a recent partition gets its tail files.
func (a *Attempt) Carry(ctx context.Context, from Key, name string) error {
	if err := a.store.Copy(ctx, from.Prefix()+name, a.prefix+name); err != nil {
		return fmt.Errorf("carry %s from %s: %w", name, from, err)
	}
	return nil
}

// Commit checks that the attempt holds exactly m's files with m's sizes,
// writes the manifest last, and publishes the attempt as the partition: by
// one rename on a folder (warehouse.Publisher), by claim, copy and a
// create-only manifest on S3 (warehouse.Swapper; see doc.go).
// If another run committed the partition first, the attempt is removed and
// the error satisfies errors.Is(err, ErrCommittedByOther).
func (a *Attempt) Commit(ctx context.Context, m *Manifest) error {
	if m.Key() != a.key {
		return fmt.Errorf("commit %s: manifest is for %s", a.key, m.Key())
	}
	if m.Rows.Source != m.Rows.Written {
		return fmt.Errorf("commit %s: source had %d rows in the snapshot but %d were written; not committed", a.key, m.Rows.Source, m.Rows.Written)
	}
	if err := a.checkFiles(ctx, m); err != nil {
		return fmt.Errorf("commit %s: %w", a.key, err)
	}
	m.Format = ManifestFormat
	m.CommittedAt = time.Now().UTC()
	publisher, ok := a.store.(warehouse.Publisher)
	if !ok {
		sw, ok := a.store.(warehouse.Swapper)
		if !ok {
			return fmt.Errorf("commit %s: warehouse %s can neither publish a folder nor overwrite conditionally", a.key, a.store)
		}
		return a.commitByClaim(ctx, sw, m)
	}
	if err := putJSON(ctx, a.store, a.prefix+ManifestName, m); err != nil {
		return fmt.Errorf("commit %s: write manifest: %w", a.key, err)
	}
	err := publisher.Publish(ctx, a.prefix, a.key.Prefix())
	if errors.Is(err, warehouse.ErrExists) {
		a.Abort(context.WithoutCancel(ctx))
		return fmt.Errorf("commit %s: %w", a.key, ErrCommittedByOther)
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", a.key, err)
	}
	// The partition is committed; the owner record is now only litter.
	if err := a.store.Delete(ctx, a.ownerKey); err != nil {
		return fmt.Errorf("commit %s: remove owner record: %w: %w", a.key, ErrLeftovers, err)
	}
	return nil
}

// checkFiles verifies that the attempt folder holds exactly the files the
// manifest lists, with the sizes it records: a committed partition must
// never hold a file the manifest does not know.
func (a *Attempt) checkFiles(ctx context.Context, m *Manifest) error {
	if len(m.Files) == 0 {
		return errors.New("manifest lists no files")
	}
	entries, err := a.store.List(ctx, a.prefix)
	if err != nil {
		return err
	}
	have := map[string]int64{}
	for _, e := range entries {
		have[strings.TrimPrefix(e.Key, a.prefix)] = e.Size
	}
	for _, f := range m.Files {
		size, ok := have[f.Name]
		if !ok {
			return fmt.Errorf("file %s is missing from the attempt", f.Name)
		}
		if size != f.Bytes {
			return fmt.Errorf("file %s has %d bytes, manifest says %d", f.Name, size, f.Bytes)
		}
		delete(have, f.Name)
	}
	if len(have) > 0 {
		extra := make([]string, 0, len(have))
		for n := range have {
			extra = append(extra, n)
		}
		sort.Strings(extra)
		return fmt.Errorf("attempt holds files the manifest does not list: %s", strings.Join(extra, ", "))
	}
	return nil
}

// Abort removes the attempt's files and owner record. It is safe to call
// after a failed Commit; it never touches a committed partition.
func (a *Attempt) Abort(ctx context.Context) error {
	err := a.store.Delete(ctx, a.prefix)
	if err2 := a.store.Delete(ctx, a.ownerKey); err == nil {
		err = err2
	}
	return err
}

func putJSON(ctx context.Context, store warehouse.Store, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return warehouse.Put(ctx, store, key, append(data, '\n'))
}
