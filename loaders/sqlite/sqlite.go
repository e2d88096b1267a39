package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/lake-engine/lake/loaders"
)

// busyTimeoutMillis is how long a Snapshot waits for a writer's lock before
// failing: in rollback-journal mode a commit in progress briefly excludes
// readers.
const busyTimeoutMillis = 30000

// Source is one SQLite database file, opened read-only.
type Source struct {
	path string
	db   *sql.DB
}

var (
	_ loaders.Source   = (*Source)(nil)
	_ loaders.Snapshot = (*Snapshot)(nil)
)

// Open opens the SQLite database at path read-only. It fails, wrapping
// fs.ErrNotExist, when the file does not exist (it never creates one), and
// fails when the file is not a SQLite database.
func Open(ctx context.Context, path string) (*Source, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open sqlite %s: database file does not exist: %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("open sqlite %s: is a directory, not a database file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// A URI filename is the only way to ask SQLite for read-only mode; its
	// path is percent-encoded so names with '?', '#' or '%' stay intact.
	dsn := url.URL{
		Scheme:   "file",
		Path:     abs,
		RawQuery: fmt.Sprintf("mode=ro&_pragma=busy_timeout(%d)", busyTimeoutMillis),
	}
	db, err := sql.Open("sqlite", dsn.String())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Every Snapshot owns its connection; a pooled idle connection would
	// only outlive the transaction state we control.
	db.SetMaxIdleConns(0)
	var tables int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite %s: read schema: %w", path, err)
	}
	return &Source{path: path, db: db}, nil
}

// Snapshot begins a read transaction on a connection of its own and reads
// once inside it, so the version of the database it sees is fixed from
// now until Close.
func (s *Source) Snapshot(ctx context.Context) (loaders.Snapshot, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot sqlite %s: connect: %w", s.path, err)
	}
	// BEGIN is deferred: no lock is taken until the first read, which is
	// why the snapshot reads sqlite_master right away.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("snapshot sqlite %s: begin: %w", s.path, err)
	}
	var tables int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		discard(conn)
		return nil, fmt.Errorf("snapshot sqlite %s: first read: %w", s.path, err)
	}
	return &Snapshot{path: s.path, conn: conn}, nil
}

// Close closes the database; open Snapshots must be closed first.
func (s *Source) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close sqlite %s: %w", s.path, err)
	}
	return nil
}

// Snapshot is one read transaction on one connection. Use it from one
// goroutine at a time.
type Snapshot struct {
	path string
	conn *sql.Conn
}

// Count returns how many rows q yields in this snapshot.
func (s *Snapshot) Count(ctx context.Context, q loaders.Query) (int64, error) {
	from, err := fromClause(q)
	if err != nil {
		return 0, err
	}
	var args []any
	if q.Slice != nil {
		stmt, err := selectStatement(q)
		if err != nil {
			return 0, err
		}
		from, args = "("+stmt+")", sliceArgs(q.Slice)
	}
	var n int64
	if err := s.conn.QueryRowContext(ctx, "SELECT count(*) FROM "+from, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s in sqlite %s: %w", q.Name, s.path, err)
	}
	return n, nil
}

// Read runs q in this snapshot and streams its rows to sink in batches of
// opts' size (rows or bytes). Column types come from declared types (see the
// package documentation); sink.Begin is called before the first row is
// read, even when there are no rows.
func (s *Snapshot) Read(ctx context.Context, q loaders.Query, opts loaders.ReadOptions, sink loaders.RecordSink) error {
	stmt, err := selectStatement(q)
	if err != nil {
		return err
	}
	rows, err := s.conn.QueryContext(ctx, stmt, sliceArgs(q.Slice)...)
	if err != nil {
		return fmt.Errorf("read %s from sqlite %s: %w", q.Name, s.path, err)
	}
	defer rows.Close()

	types, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("read %s from sqlite %s: column types: %w", q.Name, s.path, err)
	}
	cols := make([]column, len(types))
	lakeCols := make([]loaders.Column, len(types))
	for i, ct := range types {
		c, err := newColumn(q.Name, ct.Name(), ct.DatabaseTypeName())
		if err != nil {
			return err
		}
		cols[i] = c
		lakeCols[i] = loaders.Column{Name: c.name, SourceType: c.declared, Arrow: c.arrow}
	}
	schema := loaders.Schema(lakeCols)
	if err := sink.Begin(schema, lakeCols); err != nil {
		return fmt.Errorf("read %s: %w", q.Name, err)
	}

	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()

	values := make([]any, len(cols))
	dest := make([]any, len(cols))
	for i := range values {
		dest[i] = &values[i]
	}
	batchRows, batchBytes := opts.Rows(), opts.Bytes()
	flush := func(next int) error {
		if err := loaders.WriteBatch(b, sink, next); err != nil {
			return fmt.Errorf("read %s: %w", q.Name, err)
		}
		return nil
	}
	inBatch, inBytes := 0, 0
	for row := int64(1); rows.Next(); row++ {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("read %s from sqlite %s: row %d: %w", q.Name, s.path, row, err)
		}
		for i, v := range values {
			fb := b.Field(i)
			if v == nil {
				fb.AppendNull()
				continue
			}
			if err := cols[i].appendValue(fb, v); err != nil {
				return fmt.Errorf("%s.%s: row %d: %w", q.Name, cols[i].name, row, err)
			}
			inBytes += loaders.ValueBytes(v)
		}
		inBatch++
		if inBatch == batchRows || inBytes >= batchBytes {
			if err := flush(batchRows); err != nil {
				return err
			}
			inBatch, inBytes = 0, 0
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s from sqlite %s: %w", q.Name, s.path, err)
	}
	if inBatch > 0 {
		return flush(0)
	}
	return nil
}

// Close ends the read transaction and releases the connection.
func (s *Snapshot) Close() error {
	if s.conn == nil {
		return nil
	}
	conn := s.conn
	s.conn = nil
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		discard(conn)
		return fmt.Errorf("close snapshot of sqlite %s: %w", s.path, err)
	}
	if err := conn.Close(); err != nil {
		return fmt.Errorf("close snapshot of sqlite %s: %w", s.path, err)
	}
	return nil
}

// discard closes conn for good, so a connection left inside a transaction
// never goes back to the pool.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return errBadConn })
	conn.Close()
}

// quoteIdent quotes one SQL identifier for SQLite.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// quoteColumn quotes a column name in an expression. Not in double quotes:
// SQLite reads a double-quoted name that is no column of the query as a
// string literal, so a misspelt slice column would compare a constant
// with the bound instead of failing. A name in grave accents is always an
// identifier.
func quoteColumn(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// quoteTable quotes a table name, optionally schema-qualified ("main.orders").
func quoteTable(table string) string {
	parts := strings.Split(table, ".")
	for i, p := range parts {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

func selectStatement(q loaders.Query) (string, error) {
	if err := q.CheckUnsplit(); err != nil {
		return "", err
	}
	if q.Slice != nil {
		return slicedStatement(q)
	}
	if q.SQL != "" {
		// Run as written: wrapping it would hide declared types.
		return loaders.TrimSQL(q.SQL), nil
	}
	return "SELECT * FROM " + quoteTable(q.Table), nil
}

func fromClause(q loaders.Query) (string, error) {
	if err := q.CheckUnsplit(); err != nil {
		return "", err
	}
	if q.SQL != "" {
		// The newline ends a trailing -- comment before the parenthesis.
		return "(" + loaders.TrimSQL(q.SQL) + "\n)", nil
	}
	return quoteTable(q.Table), nil
}

// slicedStatement wraps the query in a WHERE on its slice's column (SQLite
// keeps declared types through a subquery). SQLite has no date type:
// julianday reads the ISO-8601 text lake accepts (a zone suffix converted to
// UTC) and Unix seconds, so values compare as lake stores them with the
// bound's wall clock; a value julianday cannot read falls in the tail, so
// that Recent and Tail still cover every row exactly once.
func slicedStatement(q loaders.Query) (string, error) {
	s := q.Slice
	if s.Column == "" {
		return "", fmt.Errorf("query %s: slice needs a column", q.Name)
	}
	from, err := fromClause(loaders.Query{Table: q.Table, SQL: q.SQL})
	if err != nil {
		return "", err
	}
	c := quoteColumn(s.Column)
	day := "(CASE WHEN typeof(" + c + ") IN ('integer', 'real') THEN julianday(" + c + ", 'unixepoch') ELSE julianday(" + c + ") END)"
	switch s.Side {
	case loaders.Recent:
		return "SELECT * FROM " + from + " WHERE " + day + " >= julianday(?)", nil
	case loaders.Tail:
		return "SELECT * FROM " + from + " WHERE " + day + " < julianday(?) OR " + day + " IS NULL", nil
	}
	return "", fmt.Errorf("query %s: slice side %d: expected recent or tail", q.Name, s.Side)
}

// sliceArgs is the bound of a slice as SQLite compares it: its wall clock.
func sliceArgs(s *loaders.Slice) []any {
	if s == nil {
		return nil
	}
	return []any{s.Bound.Format("2006-01-02 15:04:05")}
}
