package views

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lake-engine/lake/sql"
)

// Engine runs SQL on one Trino or Presto cluster (sql/trino, sql/presto).
type Engine interface {
	// Query runs q and returns its rows, every value as text ("" for NULL).
	Query(ctx context.Context, q string) ([][]string, error)
}

// Remote is a Trino or Presto cluster whose Hive metastore holds the lake's
// tables. It is synced by diff: what the cluster already has (schemas,
// tables, columns, partitions, views) is read back, and only what is
// missing or out of date is done, so a second sync runs no DDL.
type Remote struct {
	name    string
	dialect sql.Hive
	engine  Engine
	locate  Locator
}

var _ Cluster = (*Remote)(nil)

// NewRemote returns the cluster called name. locate turns a warehouse key
// (a folder such as "dwh/orders/") into the location the cluster reads.
func NewRemote(name string, dialect sql.Hive, engine Engine, locate Locator) *Remote {
	return &Remote{name: name, dialect: dialect, engine: engine, locate: locate}
}

// Name is the cluster's name in lake.yaml.
func (r *Remote) Name() string { return r.name }

// Step is one statement of a plan, for one table.
type Step struct {
	// Table is schema.name of the lake table the statement is for.
	Table string
	SQL   string
}

// ErrTypeChanged is wrapped by the error for a column whose type on the
// cluster is not the warehouse's.
var ErrTypeChanged = errors.New("column type differs from the warehouse")

// Plan reads back what the cluster has and returns the statements that
// bring it to tables, in order, without running them. Tables the cluster
// cannot take as they are (a column of another type there) are left out
// and reported in the error; the plan of the others is still returned.
func (r *Remote) Plan(ctx context.Context, tables []*Table) ([]Step, error) {
	schemas, err := r.engine.Query(ctx, r.dialect.SchemasQuery())
	if err != nil {
		return nil, fmt.Errorf("list schemas: %w", err)
	}
	haveSchema := map[string]bool{}
	for _, row := range schemas {
		haveSchema[row[0]] = true
	}
	catalogs := map[string]*schemaState{}
	var steps []Step
	var errs []error
	for _, t := range tables {
		name := t.Schema + "." + t.Name
		st, ok := catalogs[t.Schema]
		if !ok {
			st = &schemaState{}
			if haveSchema[r.dialect.Fold(t.Schema)] {
				if st, err = r.readSchema(ctx, t.Schema); err != nil {
					return nil, err
				}
			}
			catalogs[t.Schema] = st
		}
		var ts []string
		if !haveSchema[r.dialect.Fold(t.Schema)] {
			ts = append(ts, r.dialect.CreateSchema(t.Schema, r.locate(t.Schema+"/")))
			haveSchema[r.dialect.Fold(t.Schema)] = true
		}
		more, err := r.planTable(ctx, t, st)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		for _, s := range append(ts, more...) {
			steps = append(steps, Step{Table: name, SQL: s})
		}
	}
	return steps, errors.Join(errs...)
}

// schemaState is what one schema of the cluster holds.
type schemaState struct {
	// columns of each table and view: folded name and data_type, in order.
	columns map[string][][2]string
	kind    map[string]string // table_type
	views   map[string]string // view_definition
}

func (r *Remote) readSchema(ctx context.Context, schema string) (*schemaState, error) {
	st := &schemaState{columns: map[string][][2]string{}, kind: map[string]string{}, views: map[string]string{}}
	rows, err := r.engine.Query(ctx, r.dialect.ColumnsQuery(r.dialect.Fold(schema)))
	if err != nil {
		return nil, fmt.Errorf("read columns of schema %s: %w", schema, err)
	}
	for _, row := range rows {
		st.kind[row[0]] = row[1]
		st.columns[row[0]] = append(st.columns[row[0]], [2]string{row[2], row[3]})
	}
	rows, err = r.engine.Query(ctx, r.dialect.ViewsQuery(r.dialect.Fold(schema)))
	if err != nil {
		return nil, fmt.Errorf("read views of schema %s: %w", schema, err)
	}
	for _, row := range rows {
		st.views[row[0]] = row[1]
	}
	return st, nil
}

// planTable diffs one table and its _latest view.
func (r *Remote) planTable(ctx context.Context, t *Table, st *schemaState) ([]string, error) {
	d := r.dialect
	seen := map[string]string{}
	for _, c := range t.Columns {
		f := d.Fold(c.Name)
		if f == sql.PartitionColumn {
			return nil, fmt.Errorf("column %s has the name of the partition column; rename it in the source query", c.Name)
		}
		if other, dup := seen[f]; dup {
			return nil, fmt.Errorf("columns %s and %s differ only in case, which %s cannot tell apart; rename one in the source query", other, c.Name, d.Name())
		}
		seen[f] = c.Name
	}
	location := r.locate(t.Schema + "/" + t.Name + "/")
	var out []string
	table := d.Fold(t.Name)
	have, exists := st.columns[table]
	if exists && st.kind[table] != "BASE TABLE" {
		return nil, fmt.Errorf("%s.%s exists on cluster %s as a %s; drop it there and run `lake sync --cluster %s`",
			t.Schema, t.Name, r.name, strings.ToLower(st.kind[table]), r.name)
	}
	registered := map[string]bool{}
	if !exists {
		s, err := d.CreateTable(t.Schema, t.Name, t.Columns, location)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	} else {
		types := map[string]string{}
		for _, c := range have {
			types[c[0]] = c[1]
		}
		for _, c := range t.Columns {
			want, err := d.Type(c.Type)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", c.Name, err)
			}
			got, ok := types[d.Fold(c.Name)]
			switch {
			case !ok:
				s, err := d.AddColumn(t.Schema, t.Name, c)
				if err != nil {
					return nil, err
				}
				out = append(out, s)
			case got != want:
				return nil, fmt.Errorf("column %s is %s on cluster %s but %s in the warehouse: %w; lake never changes a column's type: "+
					"drop the table there (DROP TABLE %s; its Parquet files are external and stay) and run `lake sync --cluster %s`",
					c.Name, got, r.name, want, ErrTypeChanged, d.Table(t.Schema, t.Name), r.name)
			}
		}
		rows, err := r.engine.Query(ctx, d.PartitionsQuery(t.Schema, t.Name))
		if err != nil {
			return nil, fmt.Errorf("read partitions: %w", err)
		}
		for _, row := range rows {
			registered[row[0]] = true
		}
	}
	var missing []string
	for _, p := range t.Partitions {
		if !registered[p.DS] {
			missing = append(missing, p.DS)
		}
	}
	out = append(out, d.RegisterPartitions(t.Schema, t.Name, location, missing)...)
	if !r.viewCurrent(t, st) {
		out = append(out, d.CreateLatestView(t.Schema, t.LatestName(), t.Name, t.Columns, t.Latest))
	}
	return out, nil
}

// viewCurrent reports whether t's _latest view on the cluster selects
// exactly t's columns (and ds) from partition t.Latest. Engines rewrite a
// view's text, so the definition is only searched for the ds literal.
func (r *Remote) viewCurrent(t *Table, st *schemaState) bool {
	d := r.dialect
	view := d.Fold(t.LatestName())
	def, ok := st.views[view]
	if !ok || !strings.Contains(def, d.Literal(t.Latest)) || !strings.Contains(strings.ToLower(def), d.Fold(t.Name)) {
		return false
	}
	want := make([]string, 0, len(t.Columns)+1)
	for _, c := range t.Columns {
		want = append(want, d.Fold(c.Name))
	}
	want = append(want, sql.PartitionColumn)
	got := make([]string, 0, len(st.columns[view]))
	for _, c := range st.columns[view] {
		got = append(got, c[0])
	}
	return slices.Equal(got, want)
}

// Sync runs the plan, table by table. A statement that fails skips the
// rest of its table (its _latest view keeps its old ds) and the other
// tables go on; the error names every table that failed.
func (r *Remote) Sync(ctx context.Context, tables []*Table) error {
	steps, planErr := r.Plan(ctx, tables)
	if steps == nil && planErr != nil {
		return planErr
	}
	errs := []error{planErr}
	failed := map[string]bool{}
	for _, s := range steps {
		if failed[s.Table] {
			continue
		}
		if _, err := r.engine.Query(ctx, s.SQL); err != nil && !sql.AlreadyRegistered(err) {
			failed[s.Table] = true
			errs = append(errs, fmt.Errorf("%s: %w", s.Table, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}
