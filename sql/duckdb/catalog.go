package duckdb

import (
	"context"
	dbsql "database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	// Registers the "duckdb" database/sql driver.
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/lake-engine/lake/sql"
	"github.com/lake-engine/lake/views"
)

// Catalog is a DuckDB catalog file kept in sync with the warehouse.
type Catalog struct {
	name string
	path string
	s3   *S3Access
}

var _ views.Cluster = (*Catalog)(nil)

// NewCatalog returns the cluster named name whose catalog file is path.
func NewCatalog(name, path string) *Catalog { return &Catalog{name: name, path: path} }

func (c *Catalog) Name() string { return c.name }

// Path is the catalog file.
func (c *Catalog) Path() string { return c.path }

// Sync writes a new catalog file beside the old one and renames it into
// place. Readers never wait and never see a half-built catalog: a query
// that has the old file open finishes on it, the next one opens the new
// file. DuckDB locks a file that a process writes, even against readers,
// so updating the live file in place would make the nightly job fail
// whenever an analyst has the catalog open, and make analysts wait on it.
//
// Views that are in the old catalog but not in tables (a table left out
// tonight because of an error, or a view a user added) are carried over
// as they were.
func (c *Catalog) Sync(ctx context.Context, tables []*views.Table) error {
	dir := filepath.Dir(c.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("duckdb catalog %s: %w", c.path, err)
	}
	kept, err := c.viewsToKeep(ctx, tables)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(c.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("duckdb catalog %s: %w", c.path, err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	os.Remove(tmpPath) // DuckDB wants to create the file itself
	defer os.Remove(tmpPath)
	defer os.Remove(tmpPath + ".wal")

	var keptErrs []error
	err = func() error {
		db, err := openDB(ctx, tmpPath, c.s3)
		if err != nil {
			return err
		}
		defer db.Close()
		for _, t := range tables {
			for _, stmt := range Statements(t) {
				if _, err := db.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("table %s.%s: %w", t.Schema, t.Name, err)
				}
			}
		}
		for _, v := range kept {
			_, err := db.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+sql.DuckDB.Quote(v.schema))
			if err == nil {
				_, err = db.ExecContext(ctx, v.sql)
			}
			if err != nil {
				keptErrs = append(keptErrs, fmt.Errorf("view %s.%s from the previous catalog could not be kept: %w", v.schema, v.name, err))
			}
		}
		_, err = db.ExecContext(ctx, "CHECKPOINT")
		return err
	}()
	if err != nil {
		return fmt.Errorf("duckdb catalog %s: %w", c.path, err)
	}
	if err := os.Rename(tmpPath, c.path); err != nil {
		return fmt.Errorf("duckdb catalog %s: %w", c.path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("duckdb catalog %s: %w", c.path, err)
	}
	if len(keptErrs) > 0 {
		return fmt.Errorf("duckdb catalog %s: %w", c.path, errors.Join(keptErrs...))
	}
	return nil
}

// keptView is a view of the old catalog that the new one carries over.
type keptView struct {
	schema, name, sql string
}

// viewsToKeep reads the old catalog's views that tables do not define.
func (c *Catalog) viewsToKeep(ctx context.Context, tables []*views.Table) ([]keptView, error) {
	if _, err := os.Stat(c.path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	db, conn, err := openReadOnly(ctx, c.path, nil)
	if err != nil {
		return nil, fmt.Errorf("read the previous duckdb catalog %s: %w", c.path, err)
	}
	defer db.Close()
	defer conn.Close()
	ours := map[[2]string]bool{}
	for _, t := range tables {
		ours[[2]string{t.Schema, t.Name}] = true
		ours[[2]string{t.Schema, t.LatestName()}] = true
	}
	rows, err := conn.QueryContext(ctx, `SELECT schema_name, view_name, sql FROM duckdb_views()
		WHERE NOT internal AND database_name = current_database() ORDER BY schema_name, view_name`)
	if err != nil {
		return nil, fmt.Errorf("read the previous duckdb catalog %s: %w", c.path, err)
	}
	defer rows.Close()
	var kept []keptView
	for rows.Next() {
		var v keptView
		if err := rows.Scan(&v.schema, &v.name, &v.sql); err != nil {
			return nil, err
		}
		if !ours[[2]string{v.schema, v.name}] {
			kept = append(kept, v)
		}
	}
	return kept, rows.Err()
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Statements returns the DDL that makes t's views current.
func Statements(t *views.Table) []string {
	d := sql.DuckDB
	schema := d.Quote(t.Schema)
	return []string{
		"CREATE SCHEMA IF NOT EXISTS " + schema,
		fmt.Sprintf("CREATE OR REPLACE VIEW %s.%s AS %s", schema, d.Quote(t.Name), selectNights(t.Columns, t.Partitions)),
		fmt.Sprintf("CREATE OR REPLACE VIEW %s.%s AS %s", schema, d.Quote(t.LatestName()), selectNights(t.Columns, []views.Partition{t.LatestPartition()})),
	}
}

// selectNights reads the files of parts with an explicit column list, so
// that a view's columns do not depend on which file DuckDB looks at first.
//
// Consecutive nights with the same columns are read by one read_parquet,
// and such runs are joined by UNION ALL, the columns a run lacks reading as
// typed NULLs. DuckDB reads one footer per read_parquet when it binds a
// query, and WHERE ds = '...' then opens only that night's files; the
// simpler union_by_name = true would open every file of the table's
// history for every query.
func selectNights(cols []sql.Column, parts []views.Partition) string {
	var runs []string
	for start := 0; start < len(parts); {
		end := start + 1
		for end < len(parts) && sameColumns(parts[start].Columns, parts[end].Columns) {
			end++
		}
		var files []string
		for _, p := range parts[start:end] {
			files = append(files, p.Files...)
		}
		runs = append(runs, selectFiles(cols, parts[start].Columns, files))
		start = end
	}
	return strings.Join(runs, " UNION ALL ")
}

func sameColumns(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for c := range a {
		if !b[c] {
			return false
		}
	}
	return true
}

// selectFiles reads files that all hold the columns in present; columns
// of cols not in present read as typed NULLs.
//
// ds comes from the hive-style folder name, so that WHERE ds = '...' reads
// only that night's files, and is shown as VARCHAR 'YYYY-MM-DD', as on
// Trino. It is read as a DATE and formatted rather than read as a VARCHAR:
// DuckDB 1.5.5 fails with an internal error on aggregates such as
// count(*), max(ds) over a single hive-partitioned file when the partition
// column is projected bare, and the formatted column keeps pruning.
func selectFiles(cols []sql.Column, present map[string]bool, files []string) string {
	d := sql.DuckDB
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, c := range cols {
		if !present[c.Name] {
			typ, err := d.Type(c.Type)
			if err != nil {
				typ = "VARCHAR"
			}
			fmt.Fprintf(&b, "CAST(NULL AS %s) AS %s, ", typ, d.Quote(c.Name))
			continue
		}
		b.WriteString(d.Quote(c.Name) + ", ")
	}
	b.WriteString(`strftime("ds", '%Y-%m-%d') AS "ds" FROM read_parquet([`)
	for i, f := range files {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.Literal(f))
	}
	b.WriteString("], hive_partitioning = true, hive_types = {'ds': DATE})")
	return b.String()
}

// OpenReadOnly opens the catalog for queries, with every lake schema on the
// search path so that analysts can write orders_latest instead of
// dwh.orders_latest. The returned connection must be closed, then the db.
func OpenReadOnly(ctx context.Context, path string, opts ...Option) (*dbsql.DB, *dbsql.Conn, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("duckdb catalog %s: %w; run `lake sync` to build it from the warehouse", path, err)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	db, conn, err := openReadOnly(ctx, path, o.s3)
	if err != nil {
		return nil, nil, fmt.Errorf("open duckdb catalog %s: %w", path, err)
	}
	if err := setSearchPath(ctx, conn); err != nil {
		conn.Close()
		db.Close()
		return nil, nil, fmt.Errorf("open duckdb catalog %s: %w", path, err)
	}
	return db, conn, nil
}

func openReadOnly(ctx context.Context, path string, s3 *S3Access) (*dbsql.DB, *dbsql.Conn, error) {
	db, err := openDB(ctx, path+"?access_mode=read_only", s3)
	if err != nil {
		return nil, nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, conn, nil
}

// setSearchPath puts every schema of the catalog on conn's search path.
func setSearchPath(ctx context.Context, conn *dbsql.Conn) error {
	rows, err := conn.QueryContext(ctx, `SELECT DISTINCT schema_name FROM information_schema.schemata
		WHERE catalog_name = current_database() AND schema_name NOT IN ('information_schema', 'pg_catalog') ORDER BY 1`)
	if err != nil {
		return fmt.Errorf("read schemas: %w", err)
	}
	var schemas []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		schemas = append(schemas, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(schemas) == 0 {
		return nil
	}
	_, err = conn.ExecContext(ctx, "SET search_path = "+sql.DuckDB.Literal(strings.Join(schemas, ",")))
	return err
}
