package lake

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/partitions"
)

// Inventory is what the warehouse holds: the output of `lake ls --json`,
// a stable format (fields are only ever added).
type Inventory struct {
	Warehouse string       `json:"warehouse"`
	Tables    []TableState `json:"tables"`
}

// TableState is one table's committed partitions.
type TableState struct {
	Table      string           `json:"table"` // schema.table
	Schema     string           `json:"schema"`
	Name       string           `json:"name"`
	Latest     string           `json:"latest_ds"`
	Partitions []PartitionState `json:"partitions"` // oldest first
}

// PartitionState summarises one committed partition.
type PartitionState struct {
	DS          string    `json:"ds"`
	Mode        string    `json:"mode"`
	Rows        int64     `json:"rows"`
	Bytes       int64     `json:"bytes"`
	Files       int       `json:"files"`
	RunID       string    `json:"run_id"`
	CommittedAt time.Time `json:"committed_at"`
}

// LatestPartition returns the newest partition.
func (t *TableState) LatestPartition() PartitionState { return t.Partitions[len(t.Partitions)-1] }

// TotalBytes is the size of all partitions.
func (t *TableState) TotalBytes() int64 {
	var n int64
	for _, p := range t.Partitions {
		n += p.Bytes
	}
	return n
}

// ReadInventory lists every committed partition of the warehouse.
func ReadInventory(ctx context.Context, store warehouse.Store) (*Inventory, error) {
	parts, err := partitions.List(ctx, store, "")
	if err != nil {
		return nil, fmt.Errorf("list warehouse %s: %w", store, err)
	}
	inv := &Inventory{Warehouse: store.String(), Tables: []TableState{}}
	for _, p := range parts {
		n := len(inv.Tables)
		if n == 0 || inv.Tables[n-1].Schema != p.Key.Schema || inv.Tables[n-1].Name != p.Key.Table {
			inv.Tables = append(inv.Tables, TableState{Table: p.Key.Schema + "." + p.Key.Table, Schema: p.Key.Schema, Name: p.Key.Table})
			n++
		}
		t := &inv.Tables[n-1]
		m := p.Manifest
		t.Partitions = append(t.Partitions, PartitionState{
			DS: p.Key.DS, Mode: m.Mode, Rows: m.TotalRows(), Bytes: m.Bytes(), Files: len(m.Files),
			RunID: m.RunID, CommittedAt: m.CommittedAt,
		})
		t.Latest = p.Key.DS
	}
	return inv, nil
}

// FindManifest returns the manifest of table (name or schema.name) at ds,
// or at its latest ds when ds is empty.
func FindManifest(ctx context.Context, cfg *Config, store warehouse.Store, table, ds string) (*partitions.Manifest, error) {
	schema, name, qualified := strings.Cut(table, ".")
	if !qualified {
		// A bare name: use the schema the config gives the table.
		schema, name = cfg.DefaultSchema, table
		for _, t := range cfg.Tables {
			if t.Name == name {
				schema = t.Schema
				break
			}
		}
	}
	if ds == "" {
		p, err := partitions.Latest(ctx, store, schema, name, "")
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, fmt.Errorf("table %s.%s has no committed partition in %s; `lake ls` lists what there is", schema, name, store)
		}
		return p.Manifest, nil
	}
	if _, err := ParseDS(ds); err != nil {
		return nil, err
	}
	m, err := partitions.ReadManifest(ctx, store, partitions.Key{Schema: schema, Table: name, DS: ds})
	if err != nil {
		return nil, fmt.Errorf("table %s.%s ds=%s: %w; `lake ls` lists what there is", schema, name, ds, err)
	}
	return m, nil
}
