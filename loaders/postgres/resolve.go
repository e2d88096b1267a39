package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lake-engine/lake/loaders"
)

// pgTypeRow is what the loader needs of one pg_type row.
type pgTypeRow struct {
	typtype  byte   // b base, d domain, e enum, c composite, p pseudo, r range, m multirange
	category byte   // typcategory: A array, S string, ...
	base     uint32 // typbasetype of a domain
	typmod   int32  // typtypmod of a domain
	elem     uint32 // typelem of an array
}

// typeResolver finds the mapping of result columns, looking up in pg_type
// the types that the table in types.go does not name (enums, domains,
// arrays, extension types). It caches lookups for the life of a snapshot.
type typeResolver struct {
	conn  *pgx.Conn
	types map[uint32]pgTypeRow
}

func (r *typeResolver) lookup(ctx context.Context, oid uint32) (pgTypeRow, error) {
	if t, ok := r.types[oid]; ok {
		return t, nil
	}
	var t pgTypeRow
	var typtype, category string
	err := r.conn.QueryRow(ctx,
		`SELECT typtype::text, typcategory::text, typbasetype, typtypmod, typelem FROM pg_catalog.pg_type WHERE oid = $1`,
		oid).Scan(&typtype, &category, &t.base, &t.typmod, &t.elem)
	if err != nil {
		return t, fmt.Errorf("look up type oid %d: %w", oid, err)
	}
	t.typtype, t.category = typtype[0], category[0]
	if r.types == nil {
		r.types = make(map[uint32]pgTypeRow)
	}
	r.types[oid] = t
	return t, nil
}

// resolve returns the mapping of a type, or ok=false when lake cannot store
// it. inArray is set for array elements, which must not be arrays again.
func (r *typeResolver) resolve(ctx context.Context, oid uint32, typmod int32, inArray bool) (m mapping, ok bool, err error) {
	if st, found := scalarTypes[oid]; found {
		return st(typmod), true, nil
	}
	t, err := r.lookup(ctx, oid)
	if err != nil {
		return mapping{}, false, err
	}
	switch {
	case t.typtype == 'd':
		// A column's own typmod is the base type's; a domain over
		// numeric(12,2) carries its typmod in pg_type instead.
		if typmod < 0 {
			typmod = t.typmod
		}
		return r.resolve(ctx, t.base, typmod, inArray)
	case t.typtype == 'e':
		return textType(typmod), true, nil
	case t.typtype == 'b' && t.category == 'A' && t.elem != 0:
		if inArray {
			return mapping{}, false, nil
		}
		// An array column's typmod is its elements' (numeric(12,2)[]).
		em, ok, err := r.resolve(ctx, t.elem, typmod, true)
		if !ok || err != nil {
			return mapping{}, ok, err
		}
		return listType(em), true, nil
	case t.typtype == 'b' && t.category == 'S':
		// String-category extension types (citext) send their text.
		return textType(typmod), true, nil
	}
	return mapping{}, false, nil
}

// resolvedColumn is one result column ready to read.
type resolvedColumn struct {
	loaders.Column
	mapping
}

// resolveColumns maps every result field, failing with an
// *loaders.UnsupportedTypeError for the first one lake cannot store.
func (r *typeResolver) resolveColumns(ctx context.Context, table string, fields []pgconn.FieldDescription) ([]resolvedColumn, error) {
	oids := make([]uint32, len(fields))
	mods := make([]int32, len(fields))
	for i, f := range fields {
		oids[i], mods[i] = f.DataTypeOID, f.TypeModifier
	}
	// format_type prints types as psql and pg_dump do: "numeric(12,2)",
	// "character varying(20)[]", "mood".
	names := make([]string, 0, len(fields))
	rows, err := r.conn.Query(ctx,
		`SELECT pg_catalog.format_type(t.o, t.m) FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS t(o, m, n) ORDER BY t.n`,
		oids, mods)
	if err != nil {
		return nil, fmt.Errorf("name column types: %w", err)
	}
	names, err = pgx.AppendRows(names, rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("name column types: %w", err)
	}
	if len(names) != len(fields) {
		return nil, fmt.Errorf("name column types: got %d names for %d columns", len(names), len(fields))
	}

	cols := make([]resolvedColumn, len(fields))
	for i, f := range fields {
		m, ok, err := r.resolve(ctx, f.DataTypeOID, f.TypeModifier, false)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		if !ok {
			return nil, &loaders.UnsupportedTypeError{Table: table, Column: f.Name, Type: names[i], Cast: f.Name + "::text"}
		}
		cols[i] = resolvedColumn{
			Column:  loaders.Column{Name: f.Name, SourceType: names[i], Arrow: m.arrow},
			mapping: m,
		}
	}
	return cols, nil
}
