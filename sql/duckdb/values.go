package duckdb

import (
	dbsql "database/sql"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Text renders a value scanned from DuckDB as DuckDB itself prints it, so
// that `lake query` shows what an analyst would see in the duckdb shell:
// decimals keep their scale (12.50, not 12.5), dates have no time, BLOBs are
// hex. dbType is the column's DatabaseTypeName ("DECIMAL(12,2)", "DATE").
// NULL is "NULL".
func Text(v any, dbType string) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case duckdb.Decimal:
		return decimalText(v)
	case *duckdb.UUID:
		return v.String()
	case []byte:
		if strings.HasPrefix(dbType, "UUID") && len(v) == 16 {
			u := duckdb.UUID(v)
			return u.String()
		}
		return `\x` + strings.ToUpper(hex.EncodeToString(v))
	case time.Time:
		switch {
		case dbType == "DATE":
			return v.Format("2006-01-02")
		case strings.HasPrefix(dbType, "TIMESTAMPTZ"), strings.HasPrefix(dbType, "TIMESTAMP WITH TIME ZONE"):
			return v.UTC().Format("2006-01-02 15:04:05.999999Z07")
		case strings.HasPrefix(dbType, "TIME") && !strings.HasPrefix(dbType, "TIMESTAMP"):
			return v.Format("15:04:05.999999")
		}
		return v.Format("2006-01-02 15:04:05.999999")
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = Text(e, "")
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(v)
}

// decimalText prints a decimal with exactly its scale's digits.
func decimalText(d duckdb.Decimal) string {
	if d.Value == nil {
		return "NULL"
	}
	abs := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + abs
	}
	if len(abs) <= scale {
		abs = strings.Repeat("0", scale-len(abs)+1) + abs
	}
	return sign + abs[:len(abs)-scale] + "." + abs[len(abs)-scale:]
}

// JSONValue turns a value scanned from DuckDB into one encoding/json
// writes without loss: numbers stay numbers, decimals become their exact
// text (a float would round them), lists stay lists, the rest is Text.
func JSONValue(v any, dbType string) any {
	switch v := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64:
		return v
	case *big.Int:
		return v.String()
	case []any:
		out := make([]any, len(v))
		for i := range v {
			out[i] = JSONValue(v[i], "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = JSONValue(e, "")
		}
		return out
	}
	return Text(v, dbType)
}

// ColumnsOf returns a result's column names and DuckDB type names.
func ColumnsOf(rows *dbsql.Rows) (names, types []string, err error) {
	names, err = rows.Columns()
	if err != nil {
		return nil, nil, err
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, err
	}
	types = make([]string, len(cts))
	for i, ct := range cts {
		types[i] = ct.DatabaseTypeName()
	}
	return names, types, nil
}

// EachRow calls fn with the values of every row of rows, scanned as any.
// vals is reused between calls.
func EachRow(rows *dbsql.Rows, fn func(vals []any) error) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
