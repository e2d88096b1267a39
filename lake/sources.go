package lake

import (
	"context"
	"fmt"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/postgres"
	"github.com/lake-engine/lake/loaders/sqlite"
	"github.com/lake-engine/lake/sql/duckdb"
	"github.com/lake-engine/lake/views"
)

// OpenSource opens a configured source. This is the one registry of
// drivers: adding a driver means adding a case here and in config validation.
func OpenSource(ctx context.Context, sc SourceConfig) (loaders.Source, error) {
	switch sc.Driver {
	case "postgres":
		s, err := postgres.Open(ctx, sc.DSN)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.Name, err)
		}
		return s, nil
	case "sqlite":
		s, err := sqlite.Open(ctx, sc.DSN)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", sc.Name, err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("source %s: unknown driver %q", sc.Name, sc.Driver)
}

// clusters builds the configured clusters. This is the one registry of
// engines.
func (j *Job) clusters() []views.Cluster {
	var out []views.Cluster
	for _, c := range j.Config.Clusters {
		switch c.Engine {
		case "duckdb":
			out = append(out, duckdb.NewCatalog(c.Name, c.Path))
		}
	}
	return out
}
