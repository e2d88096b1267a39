package sql

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Hive is the dialect of the Hive connector of Trino or Presto: lake tables
// are external Parquet tables partitioned by ds (a varchar, the last
// column), registered in the connector's metastore under Catalog.
//
// The metastore keeps schema, table and column names in lower case, so
// names are compared through Fold; two source columns that differ only in
// case cannot both be shown.
type Hive struct {
	engine string
	// Catalog is the Trino/Presto catalog of the Hive connector, e.g. hive.
	Catalog string
}

// Trino returns the dialect of Trino's Hive connector mounted as catalog.
func Trino(catalog string) Hive { return Hive{engine: "trino", Catalog: catalog} }

// Presto returns the dialect of prestodb's Hive connector (hive-hadoop2)
// mounted as catalog.
func Presto(catalog string) Hive { return Hive{engine: "presto", Catalog: catalog} }

var _ Dialect = Hive{}

// PartitionColumn is the column every lake table is partitioned by.
const PartitionColumn = "ds"

// Name is the engine name as in lake.yaml ("trino" or "presto").
func (h Hive) Name() string { return h.engine }

// Quote quotes an identifier. Trino and Presto keep the case inside the
// quotes in the statement, and the metastore stores it folded.
func (Hive) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

// Fold is the name the metastore stores for ident (Java's lower case in
// the root locale, which Go's ToLower matches for the names lake allows).
func (Hive) Fold(ident string) string { return strings.ToLower(ident) }

// Literal quotes a string literal.
func (Hive) Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Type spells an Arrow type as a Hive table column type, the way
// information_schema.columns reports it back (so that a read-back compares
// equal). A timestamp with a time zone is stored as timestamp(6) holding
// UTC: Hive tables have no zoned timestamps. Trino's _latest views turn it
// back into a timestamp(6) with time zone (see ViewColumn).
func (h Hive) Type(t arrow.DataType) (string, error) {
	switch t := t.(type) {
	case *arrow.Int8Type:
		return "tinyint", nil
	case *arrow.Int16Type:
		return "smallint", nil
	case *arrow.Int32Type:
		return "integer", nil
	case *arrow.Int64Type:
		return "bigint", nil
	case *arrow.Float32Type:
		return "real", nil
	case *arrow.Float64Type:
		return "double", nil
	case *arrow.BooleanType:
		return "boolean", nil
	case *arrow.StringType, *arrow.LargeStringType:
		return "varchar", nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return "varbinary", nil
	case *arrow.Date32Type:
		return "date", nil
	case *arrow.Decimal128Type:
		if t.Precision > 38 {
			return "", fmt.Errorf("%s: decimal(%d,%d) is wider than decimal(38)", h.engine, t.Precision, t.Scale)
		}
		return fmt.Sprintf("decimal(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.TimestampType:
		if h.engine == "presto" {
			// prestodb has only millisecond timestamps.
			return "timestamp", nil
		}
		return "timestamp(6)", nil
	case *arrow.ListType:
		elem, err := h.Type(t.Elem())
		if err != nil {
			return "", err
		}
		return "array(" + elem + ")", nil
	}
	return "", fmt.Errorf("%s: no Hive column type for Arrow %s", h.engine, t)
}

// ViewColumn is the expression a _latest view selects for c: the column
// itself, or on Trino, for a timestamp with a time zone, the stored UTC
// value with its zone put back.
func (h Hive) ViewColumn(c Column) string {
	q := h.Quote(c.Name)
	if ts, ok := c.Type.(*arrow.TimestampType); ok && ts.TimeZone != "" && h.engine == "trino" {
		return "with_timezone(" + q + ", 'UTC')"
	}
	return q
}

// Table is the qualified, quoted name of a table or view.
func (h Hive) Table(schema, name string) string {
	return h.Quote(h.Catalog) + "." + h.Quote(schema) + "." + h.Quote(name)
}

// CreateSchema creates schema at location (the schema's folder in the
// warehouse). prestodb's file metastore refuses a location, and needs
// none: tables carry their own.
func (h Hive) CreateSchema(schema, location string) string {
	s := "CREATE SCHEMA IF NOT EXISTS " + h.Quote(h.Catalog) + "." + h.Quote(schema)
	if h.engine == "trino" && location != "" {
		s += " WITH (location = " + h.Literal(location) + ")"
	}
	return s
}

// CreateTable creates an external Parquet table over location, partitioned
// by ds, which comes last.
func (h Hive) CreateTable(schema, table string, cols []Column, location string) (string, error) {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS " + h.Table(schema, table) + " (")
	for _, c := range cols {
		typ, err := h.Type(c.Type)
		if err != nil {
			return "", fmt.Errorf("column %s: %w", c.Name, err)
		}
		b.WriteString(h.Quote(c.Name) + " " + typ + ", ")
	}
	b.WriteString(h.Quote(PartitionColumn) + " varchar) WITH (external_location = " + h.Literal(location) +
		", format = 'PARQUET', partitioned_by = ARRAY['" + PartitionColumn + "'])")
	return b.String(), nil
}

// AddColumn adds c to table; the connector places it before the partition
// column, and files that lack it read NULL.
func (h Hive) AddColumn(schema, table string, c Column) (string, error) {
	typ, err := h.Type(c.Type)
	if err != nil {
		return "", fmt.Errorf("column %s: %w", c.Name, err)
	}
	return "ALTER TABLE " + h.Table(schema, table) + " ADD COLUMN " + h.Quote(c.Name) + " " + typ, nil
}

// RegisterPartitions registers the partitions ds (each in its folder under
// location) of table. On Trino it is one system.register_partition call per
// partition; a partition already registered fails with "already
// registered", which callers treat as done (see AlreadyRegistered).
// prestodb has no register_partition: one sync_partition_metadata call adds
// every ds= folder found under the table's location.
func (h Hive) RegisterPartitions(schema, table, location string, ds []string) []string {
	if len(ds) == 0 {
		return nil
	}
	proc := h.Quote(h.Catalog) + ".system."
	if h.engine == "presto" {
		return []string{"CALL " + proc + "sync_partition_metadata(" + h.Literal(schema) + ", " + h.Literal(table) + ", 'ADD')"}
	}
	location = strings.TrimSuffix(location, "/")
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, "CALL "+proc+"register_partition(schema_name => "+h.Literal(schema)+
			", table_name => "+h.Literal(table)+", partition_columns => ARRAY['"+PartitionColumn+"'], partition_values => ARRAY["+
			h.Literal(d)+"], location => "+h.Literal(location+"/"+PartitionColumn+"="+d)+")")
	}
	return out
}

// AlreadyRegistered reports whether err (from RegisterPartitions'
// statement) says the partition was registered before.
func AlreadyRegistered(err error) bool {
	return err != nil && strings.Contains(err.Error(), "already registered")
}

// CreateLatestView points view at partition ds of table. Trino and Presto
// take no column list in CREATE VIEW, so every column is selected under an
// explicit alias: the view's columns do not depend on the table's order.
func (h Hive) CreateLatestView(schema, view, table string, cols []Column, ds string) string {
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE VIEW " + h.Table(schema, view) + " AS SELECT ")
	for _, c := range cols {
		b.WriteString(h.ViewColumn(c) + " AS " + h.Quote(c.Name) + ", ")
	}
	p := h.Quote(PartitionColumn)
	b.WriteString(p + " AS " + p + " FROM " + h.Table(schema, table) + " WHERE " + p + " = " + h.Literal(ds))
	return b.String()
}

// SchemasQuery lists the catalog's schemas: one column, schema_name.
func (h Hive) SchemasQuery() string {
	return "SELECT schema_name FROM " + h.Quote(h.Catalog) + ".information_schema.schemata"
}

// ColumnsQuery lists the tables and views of schema: table_name,
// table_type (BASE TABLE or VIEW), column_name, data_type, in column order.
func (h Hive) ColumnsQuery(schema string) string {
	is := h.Quote(h.Catalog) + ".information_schema."
	return "SELECT t.table_name, t.table_type, c.column_name, c.data_type FROM " + is + "tables t JOIN " + is +
		"columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name WHERE t.table_schema = " +
		h.Literal(schema) + " ORDER BY t.table_name, c.ordinal_position"
}

// ViewsQuery lists the views of schema: table_name, view_definition.
func (h Hive) ViewsQuery(schema string) string {
	return "SELECT table_name, view_definition FROM " + h.Quote(h.Catalog) + ".information_schema.views WHERE table_schema = " + h.Literal(schema)
}

// PartitionsQuery lists the registered ds of table: one column, ds.
func (h Hive) PartitionsQuery(schema, table string) string {
	return "SELECT " + h.Quote(PartitionColumn) + " FROM " + h.Table(schema, table+"$partitions")
}
