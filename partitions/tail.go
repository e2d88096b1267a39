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
	p, err := latest(ctx, store, schema, table, before, func(m *Manifest) bool { return m.Mode == ModeTail })
	if err != nil {
		return nil, fmt.Errorf("find the tail partition of %s.%s: %w", schema, table, err)
	}
	return p, nil
}

// Latest returns the newest committed partition of schema.table with a ds
// before before ("" for the newest of all), or nil if there is none. It
// lists the table and reads one manifest.
func Latest(ctx context.Context, store warehouse.Store, schema, table, before string) (*Partition, error) {
	p, err := latest(ctx, store, schema, table, before, func(*Manifest) bool { return true })
	if err != nil {
		return nil, fmt.Errorf("find the latest partition of %s.%s: %w", schema, table, err)
	}
	return p, nil
}

// latest returns the newest committed partition of schema.table with a ds
// before before (any ds for "") whose manifest satisfies want.
func latest(ctx context.Context, store warehouse.Store, schema, table, before string, want func(*Manifest) bool) (*Partition, error) {
	entries, err := store.List(ctx, Key{Schema: schema, Table: table}.TablePrefix())
	if err != nil {
		return nil, err
	}
	for i := len(entries) - 1; i >= 0; i-- {
		k, ok := parseManifestKey(entries[i].Key)
		if !ok || k.Schema != schema || k.Table != table || (before != "" && k.DS >= before) {
			continue
		}
		m, err := readManifestKey(ctx, store, entries[i].Key)
		if err != nil {
			return nil, err
		}
		if want(m) {
			return &Partition{Key: k, Manifest: m}, nil
		}
	}
	return nil, nil
}
