package lake

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/loaders/mysql"
	"github.com/lake-engine/lake/loaders/postgres"
	"github.com/lake-engine/lake/loaders/sqlite"
	"github.com/lake-engine/lake/sql"
	"github.com/lake-engine/lake/sql/duckdb"
	"github.com/lake-engine/lake/sql/presto"
	"github.com/lake-engine/lake/sql/trino"
	"github.com/lake-engine/lake/views"
)

// OpenSource opens a configured source. This is the one registry of
// drivers: adding a driver means adding a case here and in config validation.
func OpenSource(ctx context.Context, sc SourceConfig) (loaders.Source, error) {
	var src loaders.Source
	var err error
	switch sc.Driver {
	case "postgres":
		var pg *postgres.Source
		if pg, err = postgres.Open(ctx, sc.DSN); err == nil {
			pg.LockTimeout = time.Duration(sc.LockTimeout)
			src = pg
		}
	case "sqlite":
		src, err = sqlite.Open(ctx, sc.DSN)
	case "mysql":
		var my *mysql.Source
		if my, err = mysql.Open(ctx, sc.DSN); err == nil {
			my.LockTimeout = time.Duration(sc.LockTimeout)
			src = my
		}
	default:
		return nil, fmt.Errorf("source %s: unknown driver %q", sc.Name, sc.Driver)
	}
	if err != nil {
		return nil, fmt.Errorf("source %s: %w (check sources.%s.dsn and that the database is reachable, then run `lake validate`)", sc.Name, err, sc.Name)
	}
	return src, nil
}

// clusters builds the configured clusters. This is the one registry of
// engines. A cluster whose client cannot be made is still returned, as one
// whose sync fails with that error, so that it is named in the report.
// Only the cluster called only is built, unless only is "".
func (j *Job) clusters(only string) []views.Cluster {
	var out []views.Cluster
	for _, c := range j.Config.Clusters {
		if only != "" && c.Name != only {
			continue
		}
		switch c.Engine {
		case "duckdb":
			out = append(out, duckdb.NewCatalog(c.Name, c.Path).WithS3(DuckDBS3(j.Store)))
		case "trino":
			client, err := trino.Open(trino.Config{URL: c.URL, User: c.User, Password: c.Password, Token: c.Token,
				Catalog: c.Catalog, Session: c.Session})
			if err != nil {
				out = append(out, brokenCluster{name: c.Name, err: err})
				continue
			}
			out = append(out, closingRemote{views.NewRemote(c.Name, sql.Trino(c.Catalog), client, j.clusterLocation), client})
		case "presto":
			client, err := presto.Open(presto.Config{URL: c.URL, User: c.User, Password: c.Password, Token: c.Token,
				Catalog: c.Catalog, Session: c.Session})
			if err != nil {
				out = append(out, brokenCluster{name: c.Name, err: err})
				continue
			}
			out = append(out, views.NewRemote(c.Name, sql.Presto(c.Catalog), client, j.clusterLocation))
		}
	}
	return out
}

// clusterLocation is where Trino and Presto read a warehouse key: the
// s3:// URL, or a file:// URL for a local warehouse.
func (j *Job) clusterLocation(key string) string {
	loc := j.Store.Location(key)
	if strings.HasPrefix(loc, "/") {
		loc = (&url.URL{Scheme: "file", Path: loc}).String()
		if strings.HasSuffix(key, "/") && !strings.HasSuffix(loc, "/") {
			loc += "/"
		}
	}
	return loc
}

// closeClusters closes the clients of clusters that hold some.
func closeClusters(clusters []views.Cluster) {
	for _, c := range clusters {
		if c, ok := c.(io.Closer); ok {
			c.Close()
		}
	}
}

// closingRemote is a Trino cluster whose client is closed after the sync.
type closingRemote struct {
	*views.Remote
	client io.Closer
}

func (c closingRemote) Close() error { return c.client.Close() }

// brokenCluster is a configured cluster lake cannot talk to at all.
type brokenCluster struct {
	name string
	err  error
}

func (b brokenCluster) Name() string { return b.name }

func (b brokenCluster) Sync(context.Context, []*views.Table) error { return b.err }
