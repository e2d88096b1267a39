package lake

import (
	"context"
	"fmt"
	"strings"

	"github.com/lake-engine/lake/partitions"
	"github.com/lake-engine/lake/sql/duckdb"
	"github.com/lake-engine/lake/views"
)

// SyncCluster brings the cluster called name (every cluster when name is
// "") up to date from the warehouse alone.
func (j *Job) SyncCluster(ctx context.Context, name string) ([]ClusterResult, error) {
	if err := j.checkCluster(name); err != nil {
		return nil, err
	}
	return j.syncClusters(ctx, j.Log, name), nil
}

func (j *Job) checkCluster(name string) error {
	if name == "" {
		return nil
	}
	var names []string
	for _, c := range j.Config.Clusters {
		if c.Name == name {
			return nil
		}
		names = append(names, c.Name)
	}
	return fmt.Errorf("%s: no cluster named %q; clusters: %s", j.Config.Path, name, strings.Join(names, ", "))
}

// ClusterPlan is what a sync would do on one cluster.
type ClusterPlan struct {
	Cluster string
	// Statements are the SQL statements the sync would run, in order.
	Statements []string
	// Err is why the plan is incomplete (cluster unreachable, a table it
	// cannot take).
	Err error
}

// Plan says, per cluster (only the one called name, unless name is ""),
// which statements a sync would run now, and runs none. For Trino and
// Presto it reads back what the cluster has; a DuckDB catalog is rebuilt
// whole, so its plan is every statement of the rebuilt file.
func (j *Job) Plan(ctx context.Context, name string) ([]ClusterPlan, error) {
	if err := j.checkCluster(name); err != nil {
		return nil, err
	}
	parts, err := partitions.List(ctx, j.Store, "")
	if err != nil {
		return nil, fmt.Errorf("list warehouse: %w", err)
	}
	tables, errs := views.Tables(parts, j.Store.Location)
	for _, err := range errs {
		j.Log.Error("table left as it was on every cluster", "err", err)
	}
	clusters := j.clusters(name)
	defer closeClusters(clusters)
	var out []ClusterPlan
	for _, c := range clusters {
		p := ClusterPlan{Cluster: c.Name()}
		switch c := c.(type) {
		case interface {
			Plan(context.Context, []*views.Table) ([]views.Step, error)
		}:
			steps, err := c.Plan(ctx, tables)
			for _, s := range steps {
				p.Statements = append(p.Statements, s.SQL)
			}
			p.Err = err
		case *duckdb.Catalog:
			for _, t := range tables {
				p.Statements = append(p.Statements, duckdb.Statements(t)...)
			}
		case brokenCluster:
			p.Err = c.err
		}
		out = append(out, p)
	}
	return out, nil
}
