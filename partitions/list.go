package partitions

import (
	"context"
	"fmt"
	"sort"

	"github.com/lake-engine/lake/lake/warehouse"
)

// Partition is a committed partition and its manifest.
type Partition struct {
	Key      Key
	Manifest *Manifest
}

// List returns every committed partition under prefix ("" for the whole
// warehouse, "dwh/orders/" for one table), sorted by schema, table and ds.
// Only folders holding a manifest count; attempts are never listed.
func List(ctx context.Context, store warehouse.Store, prefix string) ([]Partition, error) {
	entries, err := store.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var out []Partition
	for _, e := range entries {
		k, ok := parseManifestKey(e.Key)
		if !ok {
			continue
		}
		m, err := readManifestKey(ctx, store, e.Key)
		if err != nil {
			return nil, err
		}
		if m.Key() != k {
			return nil, fmt.Errorf("manifest %s names partition %s; the warehouse was moved by hand?", e.Key, m.Key())
		}
		out = append(out, Partition{Key: k, Manifest: m})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Key, out[j].Key
		if a.Schema != b.Schema {
			return a.Schema < b.Schema
		}
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		return a.DS < b.DS
	})
	return out, nil
}
