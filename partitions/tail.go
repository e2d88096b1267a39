package partitions

import (
	"context"
	"fmt"

	"github.com/lake-engine/lake/lake/warehouse"
)

// LatestTail returns the newest committed partition of schema.table made by
// a tail import with a ds before before, or nil if there is none. It reads
// manifests from the newest ds backwards, so its cost is about the days
// since the last tail import, not the table's history.
func LatestTail(ctx context.Context, store warehouse.Store, schema, table, before string) (*Partition, error) {
	prefix := Key{Schema: schema, Table: table}.TablePrefix()
	entries, err := store.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("find the tail partition of %s.%s: %w", schema, table, err)
	}
	for i := len(entries) - 1; i >= 0; i-- {
		k, ok := parseManifestKey(entries[i].Key)
		if !ok || k.Schema != schema || k.Table != table || k.DS >= before {
			continue
		}
		m, err := readManifestKey(ctx, store, entries[i].Key)
		if err != nil {
			return nil, fmt.Errorf("find the tail partition of %s.%s: %w", schema, table, err)
		}
		if m.Mode == ModeTail {
			return &Partition{Key: k, Manifest: m}, nil
		}
	}
	return nil, nil
}
