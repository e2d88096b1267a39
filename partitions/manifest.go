package partitions

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/lake-engine/lake/lake/warehouse"
)

// ManifestFormat is the version of the manifest layout written by this code.
const ManifestFormat = 1

// ErrNotCommitted is returned (wrapped) when a partition has no manifest.
var ErrNotCommitted = errors.New("partition not committed")

// Manifest is the commit record of one partition. Its JSON form is a stable,
// documented format (see README "Manifest"); fields are only ever added.
type Manifest struct {
	Format      int    `json:"format"`
	Schema      string `json:"schema"`
	Table       string `json:"table"`
	DS          string `json:"ds"`
	Mode        string `json:"mode"` // ModeFull, ModeTail or ModeRecent
	RunID       string `json:"run_id"`
	ToolVersion string `json:"tool_version"`

	Source Source `json:"source"`
	// Incremental is set for the tail and recent modes only.
	Incremental *Incremental `json:"incremental,omitempty"`
	Rows        Rows         `json:"rows"`
	Files       []File       `json:"files"`
	// Columns describe the data files' columns in order.
	Columns []Column `json:"columns"`
	// ArrowSchema is the Arrow IPC encoding of the files' schema, base64:
	// the exact types, for engines that need them to declare tables.
	ArrowSchema string `json:"arrow_schema"`

	// SnapshotAt is when the source snapshot was taken (the data's real time).
	SnapshotAt time.Time `json:"snapshot_at"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// CommittedAt is filled when the manifest is committed.
	CommittedAt time.Time `json:"committed_at"`
}

// Source says where a partition's rows came from.
type Source struct {
	Name   string `json:"name"`
	Driver string `json:"driver"`
	// Query is the source table or SELECT that was read.
	Query string `json:"query"`
	// Ranges is how many block ranges of the table were read at once, by
	// connections sharing one snapshot; 0 when it was read whole.
	Ranges int `json:"ranges,omitempty"`
}

// Rows holds the honest numbers: what the source had in the snapshot (for
// what this run read) and what was written. A manifest is only committed
// when they are equal. Carried rows were not read tonight: they are in tail
// files carried from an earlier partition.
type Rows struct {
	Source  int64 `json:"source"`
	Written int64 `json:"written"`
	// Carried is the rows of the tail files carried from Incremental.TailDS.
	Carried int64 `json:"carried,omitempty"`
	// Tail is the rows of the partition's tail files, written or carried.
	Tail int64 `json:"tail,omitempty"`
}

// Modes of a partition: how its files were made.
const (
	// ModeFull: every row read from the source.
	ModeFull = "full"
	// ModeTail: every row read from the source, split at the boundary into
	// tail and recent files.
	ModeTail = "tail"
	// ModeRecent: recent rows read from the source; tail files carried
	// (copied without reading) from the tail partition.
	ModeRecent = "recent"
)

// Roles of the files of an incremental partition.
const (
	// RoleTail files hold the rows with column < bound or NULL.
	RoleTail = "tail"
	// RoleRecent files hold the rows with column >= bound.
	RoleRecent = "recent"
)

// Incremental says how a tail or recent partition was split.
type Incremental struct {
	// Column is the date or timestamp column the split is on.
	Column string `json:"column"`
	// Bound is B, YYYY-MM-DD: recent rows have column >= B, tail rows
	// column < B or NULL.
	Bound string `json:"bound"`
	// BoundAt is the instant B starts (midnight in the config's time zone),
	// which timestamp-with-time-zone columns are compared with.
	BoundAt time.Time `json:"bound_at"`
	// TailDS is the partition whose tail import made the tail files: this
	// partition's own ds in tail mode, the reused one in recent mode.
	TailDS string `json:"tail_ds"`
	// Reason says why a tail import ran ("tail day", "--full", ...).
	Reason string `json:"reason,omitempty"`
}

// File is one data file of a partition.
type File struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
	// Role is RoleTail or RoleRecent in incremental partitions, else empty.
	Role string `json:"role,omitempty"`
}

// Column is one column of a partition's files.
type Column struct {
	Name       string `json:"name"`
	Type       string `json:"type"`        // Arrow type, e.g. "decimal(12, 2)"
	SourceType string `json:"source_type"` // as the source names it
}

// Bytes is the total size of the partition's files.
func (m *Manifest) Bytes() int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Bytes
	}
	return n
}

// TotalRows is the rows of the partition: written tonight plus carried.
func (m *Manifest) TotalRows() int64 { return m.Rows.Written + m.Rows.Carried }

// TailFiles returns the partition's tail files.
func (m *Manifest) TailFiles() []File {
	var out []File
	for _, f := range m.Files {
		if f.Role == RoleTail {
			out = append(out, f)
		}
	}
	return out
}

// Key returns the partition the manifest commits.
func (m *Manifest) Key() Key { return Key{Schema: m.Schema, Table: m.Table, DS: m.DS} }

// SetSchema records s as the files' schema.
func (m *Manifest) SetSchema(s *arrow.Schema) error {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(s))
	if err := w.Close(); err != nil {
		return fmt.Errorf("encode schema: %w", err)
	}
	m.ArrowSchema = base64.StdEncoding.EncodeToString(buf.Bytes())
	return nil
}

// DecodeSchema decodes the files' Arrow schema.
func (m *Manifest) DecodeSchema() (*arrow.Schema, error) {
	raw, err := base64.StdEncoding.DecodeString(m.ArrowSchema)
	if err != nil {
		return nil, fmt.Errorf("decode schema of %s: %w", m.Key(), err)
	}
	r, err := ipc.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("decode schema of %s: %w", m.Key(), err)
	}
	defer r.Release()
	return r.Schema(), nil
}

// ReadManifest reads the manifest of a committed partition. A partition
// without a manifest gives an error satisfying errors.Is(err, ErrNotCommitted).
func ReadManifest(ctx context.Context, store warehouse.Store, k Key) (*Manifest, error) {
	return readManifestKey(ctx, store, k.ManifestKey())
}

func readManifestKey(ctx context.Context, store warehouse.Store, key string) (*Manifest, error) {
	obj, err := store.Open(ctx, key)
	if errors.Is(err, warehouse.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotCommitted)
	}
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest %s is damaged: %w", key, err)
	}
	if m.Format > ManifestFormat {
		return nil, fmt.Errorf("manifest %s has format %d, newer than this lake understands (%d); upgrade lake", key, m.Format, ManifestFormat)
	}
	return &m, nil
}
