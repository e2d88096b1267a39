package sql

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Column is one column of a table definition.
type Column struct {
	Name string
	Type arrow.DataType
}

// Dialect is one engine's spelling of types and names.
type Dialect interface {
	// Name is the engine name as in lake.yaml ("duckdb").
	Name() string
	// Quote quotes an identifier so that reserved words, upper case and
	// unicode survive.
	Quote(ident string) string
	// Type spells an Arrow type, or says why the engine cannot hold it.
	Type(t arrow.DataType) (string, error)
	// Literal quotes a string literal.
	Literal(s string) string
}

// DuckDB is the dialect of DuckDB.
var DuckDB Dialect = duckDB{}

type duckDB struct{}

func (duckDB) Name() string { return "duckdb" }

func (duckDB) Quote(ident string) string {
	return `"` + strings.ReplaceAll(ident, `"`, `""`) + `"`
}

func (duckDB) Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func (d duckDB) Type(t arrow.DataType) (string, error) {
	switch t := t.(type) {
	case *arrow.Int8Type:
		return "TINYINT", nil
	case *arrow.Int16Type:
		return "SMALLINT", nil
	case *arrow.Int32Type:
		return "INTEGER", nil
	case *arrow.Int64Type:
		return "BIGINT", nil
	case *arrow.Uint64Type:
		return "UBIGINT", nil
	case *arrow.Float32Type:
		return "REAL", nil
	case *arrow.Float64Type:
		return "DOUBLE", nil
	case *arrow.BooleanType:
		return "BOOLEAN", nil
	case *arrow.StringType, *arrow.LargeStringType:
		return "VARCHAR", nil
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		return "BLOB", nil
	case *arrow.Date32Type:
		return "DATE", nil
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale), nil
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return "TIMESTAMPTZ", nil
		}
		return "TIMESTAMP", nil
	case *arrow.ListType:
		elem, err := d.Type(t.Elem())
		if err != nil {
			return "", err
		}
		return elem + "[]", nil
	}
	return "", fmt.Errorf("duckdb: no type for Arrow %s", t)
}
