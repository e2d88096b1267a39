package views

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/partitions"
	"github.com/lake-engine/lake/sql"
)

// Partition is one committed partition as a cluster needs it.
type Partition struct {
	DS string
	// Files are the locations (paths or URLs) engines read.
	Files []string
	// Columns are the names present in this partition's files.
	Columns map[string]bool
}

// Table is the desired state of one lake table on every cluster.
type Table struct {
	Schema string
	Name   string
	// Columns is the union of all partitions' columns: in the order they
	// first appeared, a column added by the source comes last.
	Columns []sql.Column
	// Partitions are sorted by ds, oldest first.
	Partitions []Partition
	// Latest is the newest committed ds.
	Latest string
}

// LatestName is the name of the table's _latest view.
func (t *Table) LatestName() string { return t.Name + "_latest" }

// LatestPartition returns the partition Latest names.
func (t *Table) LatestPartition() Partition { return t.Partitions[len(t.Partitions)-1] }

// Locator turns a warehouse key into what engines read (a path or URL).
type Locator func(key string) string

// Tables groups committed partitions (as partitions.List returns them,
// sorted by table and ds) into tables. A table whose partitions cannot be
// shown together (a column changed type) is left out and reported in errs,
// so the clusters keep showing what they showed before for it, and the
// other tables still sync.
func Tables(parts []partitions.Partition, locate Locator) (tables []*Table, errs []error) {
	for len(parts) > 0 {
		n := 1
		for n < len(parts) && parts[n].Key.Schema == parts[0].Key.Schema && parts[n].Key.Table == parts[0].Key.Table {
			n++
		}
		t, err := buildTable(parts[:n], locate)
		if err != nil {
			errs = append(errs, err)
		} else {
			tables = append(tables, t)
		}
		parts = parts[n:]
	}
	return tables, errs
}

func buildTable(parts []partitions.Partition, locate Locator) (*Table, error) {
	t := &Table{Schema: parts[0].Key.Schema, Name: parts[0].Key.Table}
	types := map[string]arrow.DataType{}
	firstSeen := map[string]string{}
	for _, p := range parts {
		schema, err := p.Manifest.DecodeSchema()
		if err != nil {
			return nil, err
		}
		vp := Partition{DS: p.Key.DS, Columns: map[string]bool{}}
		for _, f := range p.Manifest.Files {
			vp.Files = append(vp.Files, locate(p.Key.Prefix()+f.Name))
		}
		for _, f := range schema.Fields() {
			vp.Columns[f.Name] = true
			if old, ok := types[f.Name]; ok {
				if !arrow.TypeEqual(old, f.Type) {
					return nil, fmt.Errorf("%s.%s: column %s changed type from %s (ds=%s) to %s (ds=%s); "+
						"engines cannot show both under one name: cast it back in the source query, or give the new type a new name (e.g. %s_v2)",
						t.Schema, t.Name, f.Name, old, firstSeen[f.Name], f.Type, p.Key.DS, f.Name)
				}
				continue
			}
			types[f.Name] = f.Type
			firstSeen[f.Name] = p.Key.DS
			t.Columns = append(t.Columns, sql.Column{Name: f.Name, Type: f.Type})
		}
		t.Partitions = append(t.Partitions, vp)
		t.Latest = p.Key.DS
	}
	return t, nil
}

// Cluster is one query engine that shows the lake's tables.
type Cluster interface {
	// Name is the cluster's name in lake.yaml.
	Name() string
	// Sync makes the cluster show exactly these tables' partitions and
	// _latest views. It must be idempotent.
	Sync(ctx context.Context, tables []*Table) error
}

// Result is the outcome of syncing one cluster.
type Result struct {
	Cluster string        `json:"cluster"`
	Tables  int           `json:"tables"`
	Elapsed time.Duration `json:"-"`
	Err     error         `json:"-"`
}

// SyncAll syncs every cluster. A cluster that fails does not stop the
// others; its error is in its Result.
func SyncAll(ctx context.Context, log *slog.Logger, clusters []Cluster, tables []*Table) []Result {
	results := make([]Result, 0, len(clusters))
	for _, c := range clusters {
		start := time.Now()
		err := c.Sync(ctx, tables)
		r := Result{Cluster: c.Name(), Tables: len(tables), Elapsed: time.Since(start), Err: err}
		if err != nil {
			log.Error("cluster sync failed", "cluster", c.Name(), "err", err)
		} else {
			log.Info("cluster synced", "cluster", c.Name(), "tables", len(tables), "seconds", r.Elapsed.Seconds())
		}
		results = append(results, r)
	}
	return results
}
