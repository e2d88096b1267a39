package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/lake-engine/lake/loaders"
)

// A sliced query is the query wrapped in a WHERE on the slice's column,
// with the bound as the statement's one parameter:
//
//	SELECT * FROM (query) AS lake_query WHERE lake_query.`col` >= ?
//	SELECT * FROM (query) AS lake_query WHERE lake_query.`col` < ? OR lake_query.`col` IS NULL
//
// MySQL compares a DATE, DATETIME or TIMESTAMP column with a string
// parameter as a date, so the bound is sent as text in the form the
// column's type calls for (see sliceBound).

// slicedSQL returns the statement of a sliced query.
func slicedSQL(q loaders.Query) (string, error) {
	s := q.Slice
	if s.Column == "" {
		return "", errors.New("slice needs a column")
	}
	from, err := sliceFrom(q)
	if err != nil {
		return "", err
	}
	col := "lake_query." + quoteIdent(s.Column)
	switch s.Side {
	case loaders.Recent:
		return "SELECT * FROM " + from + " WHERE " + col + " >= ?", nil
	case loaders.Tail:
		return "SELECT * FROM " + from + " WHERE " + col + " < ? OR " + col + " IS NULL", nil
	}
	return "", fmt.Errorf("slice side %d: expected recent or tail", s.Side)
}

// sliceFrom is the query as a derived table named lake_query.
func sliceFrom(q loaders.Query) (string, error) {
	if q.SQL != "" {
		return "(" + loaders.TrimSQL(q.SQL) + "\n) AS lake_query", nil
	}
	t, err := quoteTable(q.Table)
	if err != nil {
		return "", err
	}
	return t + " AS lake_query", nil
}

func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// sliceBound returns the statement parameters of a query: none without a
// slice, else the bound as the slice column's type compares it. A DATE
// compares with the bound's calendar date, a DATETIME (no zone) with its
// wall clock, a TIMESTAMP with the instant (the session is in UTC). Any
// other column is refused: comparing text with a date would silently
// compare strings.
func (sn *Snapshot) sliceBound(ctx context.Context, q loaders.Query) ([]any, error) {
	s := q.Slice
	if s == nil {
		return nil, nil
	}
	from, err := sliceFrom(q)
	if err != nil {
		return nil, err
	}
	rows, err := sn.conn.QueryContext(ctx, "SELECT lake_query."+quoteIdent(s.Column)+" FROM "+from+" LIMIT 0")
	if err != nil {
		return nil, fmt.Errorf("look up incremental column %s: %w", s.Column, err)
	}
	types, err := rows.ColumnTypes()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("look up incremental column %s: %w", s.Column, err)
	}
	return boundFor(s, types)
}

func boundFor(s *loaders.Slice, types []*sql.ColumnType) ([]any, error) {
	if len(types) != 1 {
		return nil, fmt.Errorf("look up incremental column %s: %d columns", s.Column, len(types))
	}
	switch t := types[0].DatabaseTypeName(); t {
	case "DATE":
		return []any{s.Bound.Format("2006-01-02")}, nil
	case "DATETIME":
		return []any{s.Bound.Format("2006-01-02 15:04:05.999999")}, nil
	case "TIMESTAMP":
		return []any{s.Bound.UTC().Format("2006-01-02 15:04:05.999999")}, nil
	default:
		return nil, fmt.Errorf("incremental column %s is not a date or timestamp (type %s); expected a date, datetime or timestamp column", s.Column, strings.ToLower(t))
	}
}
