package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lake-engine/lake/loaders"
)

var (
	_ loaders.Source         = (*Source)(nil)
	_ loaders.Snapshot       = (*Snapshot)(nil)
	_ loaders.CountingReader = (*Snapshot)(nil)
)

// Source is one PostgreSQL database. It holds no connection of its own: each
// Snapshot opens one and closes it in Close.
type Source struct {
	// Allocator allocates the Arrow buffers of every Read; nil means
	// memory.DefaultAllocator. Set it before taking snapshots.
	Allocator memory.Allocator
	// LockTimeout is how long a statement of a snapshot waits for a lock
	// (lock_timeout) before it fails; 0 keeps the server's setting. Set
	// it before taking snapshots.
	LockTimeout time.Duration

	config *pgx.ConnConfig
}

// Open parses dsn (a postgres:// URL or key=value string, as libpq takes)
// and checks that the database accepts a connection. Errors never contain
// the password.
func Open(ctx context.Context, dsn string) (*Source, error) {
	config, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse postgres dsn: %w", loaders.Redact(err, dsnPasswords(dsn)...))
	}
	if config.RuntimeParams["application_name"] == "" {
		// Lets a DBA see in pg_stat_activity who holds the snapshot.
		config.RuntimeParams["application_name"] = "lake"
	}
	// Text values are sent in the client encoding; Arrow strings are UTF-8.
	config.RuntimeParams["client_encoding"] = "UTF8"
	// COPY streams faster than lake needs to wake for it: see BulkReads.
	config.DialFunc = loaders.BulkDial(config.DialFunc)

	s := &Source{config: config}
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := conn.Close(ctx); err != nil {
		return nil, fmt.Errorf("close postgres connection: %w", err)
	}
	return s, nil
}

func (s *Source) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.config)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres %s:%d: %w", s.config.Host, s.config.Port, loaders.Redact(err, s.config.Password))
	}
	return conn, nil
}

// begin is the statements that open a snapshot's transaction: BEGIN, the
// statements then (those that must come first, such as SET TRANSACTION
// SNAPSHOT), and the source's LockTimeout as SET LOCAL, so that it ends
// with the transaction (a pooler's next client never inherits it).
func (s *Source) begin(then ...string) []string {
	stmts := append([]string{"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"}, then...)
	if s.LockTimeout > 0 {
		stmts = append(stmts, fmt.Sprintf("SET LOCAL lock_timeout = '%dms'", s.LockTimeout.Milliseconds()))
	}
	return stmts
}

// Close releases nothing: snapshots own their connections and must be closed
// by whoever took them.
func (s *Source) Close() error { return nil }

// Snapshot opens a connection and begins a REPEATABLE READ, READ ONLY
// transaction on it, so that every Count and Read of the snapshot sees the
// data as of this call.
func (s *Source) Snapshot(ctx context.Context) (loaders.Snapshot, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	// REPEATABLE READ takes its snapshot at the first query, not at BEGIN:
	// run one now so that the snapshot is as of this call.
	for _, stmt := range append(s.begin(), "SELECT 1") {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			conn.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("begin snapshot: %w", err)
		}
	}
	mem := s.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &Snapshot{conn: conn, mem: mem, types: typeResolver{conn: conn}, source: s}, nil
}

// Snapshot is one REPEATABLE READ, READ ONLY transaction on its own
// connection. A statement that fails inside it (bad SQL, a value that cannot
// be stored) is rolled back to a savepoint, so the snapshot stays usable for
// the other tables.
type Snapshot struct {
	conn   *pgx.Conn
	mem    memory.Allocator
	types  typeResolver
	source *Source
	// exported is the id of the exported snapshot that joined
	// connections import; empty until the first Join.
	exported string
	// lost is why the connection, and with it the snapshot, is gone; nil
	// while it is usable.
	lost error
}

// Count returns SELECT count(*) over the query's table or SQL, within the
// query's Slice if it has one.
func (sn *Snapshot) Count(ctx context.Context, q loaders.Query) (int64, error) {
	from, err := fromClause(q)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", queryName(q), err)
	}
	if q.Slice != nil || q.Blocks != nil {
		sql, err := selectSQL(q)
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", queryName(q), err)
		}
		from = "(" + sql + ") AS lake_count"
	}
	var n int64
	err = sn.savepoint(ctx, "count "+queryName(q), func() error {
		pg := sn.conn.PgConn()
		sql := "SELECT count(*) FROM " + from
		desc, err := pg.Prepare(ctx, "", sql, nil)
		if err != nil {
			return err
		}
		params, err := sliceParams(q.Slice, desc.ParamOIDs)
		if err != nil {
			return err
		}
		res := pg.ExecParams(ctx, sql, params, desc.ParamOIDs, nil, nil).Read()
		if res.Err != nil {
			return res.Err
		}
		if len(res.Rows) != 1 || len(res.Rows[0]) != 1 {
			return errors.New("count(*) returned no row")
		}
		n, err = strconv.ParseInt(string(res.Rows[0][0]), 10, 64)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", queryName(q), err)
	}
	return n, nil
}

// EstimateRows returns the planner's estimate of the rows of q's table,
// pg_class.reltuples, which VACUUM and ANALYZE keep (autovacuum, on most
// servers). A table never vacuumed nor analyzed has none (-1 since
// PostgreSQL 14, 0 before, as an empty table has), nor has a SELECT.
func (sn *Snapshot) EstimateRows(ctx context.Context, q loaders.Query) (int64, bool, error) {
	if q.Table == "" {
		return 0, false, nil
	}
	table, err := quoteTable(q.Table)
	if err != nil {
		return 0, false, err
	}
	var rows float64
	err = sn.savepoint(ctx, "estimate "+queryName(q), func() error {
		return sn.conn.QueryRow(ctx, `SELECT reltuples FROM pg_catalog.pg_class WHERE oid = $1::regclass`, table).Scan(&rows)
	})
	if err != nil {
		return 0, false, fmt.Errorf("estimate the rows of %s: %w", queryName(q), err)
	}
	if rows <= 0 {
		return 0, false, nil
	}
	return int64(rows), true, nil
}

// sliceParams encodes a slice's bound for the parameter types the server
// inferred from the column.
func sliceParams(s *loaders.Slice, oids []uint32) ([][]byte, error) {
	if s == nil {
		return nil, nil
	}
	params := make([][]byte, len(oids))
	for i, oid := range oids {
		v, _, err := formatBound(s, oid)
		if err != nil {
			return nil, err
		}
		params[i] = []byte(v)
	}
	return params, nil
}

// sliceLiteral is the bound as a typed SQL literal for the parameter type the
// server inferred for $1, for statements that take no parameters (COPY).
func sliceLiteral(s *loaders.Slice, oids []uint32) (string, error) {
	if len(oids) != 1 {
		return "", fmt.Errorf("sliced query has %d parameters, want 1", len(oids))
	}
	v, typ, err := formatBound(s, oids[0])
	if err != nil {
		return "", err
	}
	// v holds only digits, '-', ':', '.', '+' and ' ': no quote to escape.
	return "'" + v + "'::pg_catalog." + typ, nil
}

// formatBound prints a slice's bound exactly, as the column's type reads
// it, and refuses a column that is not a date or a timestamp: comparing text
// with a date would silently compare strings. A timestamptz bound carries
// its explicit offset, so the session's TimeZone cannot shift it.
func formatBound(s *loaders.Slice, oid uint32) (value, typ string, err error) {
	switch oid {
	case pgtype.DateOID:
		return s.Bound.Format("2006-01-02"), "date", nil
	case pgtype.TimestampOID:
		return s.Bound.Format("2006-01-02 15:04:05.999999"), "timestamp", nil
	case pgtype.TimestamptzOID:
		return s.Bound.Format("2006-01-02 15:04:05.999999-07:00"), "timestamptz", nil
	}
	return "", "", fmt.Errorf("incremental column %s is not a date or timestamp (type oid %d); expected a date, timestamp or timestamptz column", s.Column, oid)
}

// Read streams the query's rows to sink in batches of opts' size (rows or
// bytes). Column types are resolved before the query runs, so an unsupported
// type fails with an *loaders.UnsupportedTypeError before any row is read.
func (sn *Snapshot) Read(ctx context.Context, q loaders.Query, opts loaders.ReadOptions, sink loaders.RecordSink) error {
	_, err := sn.ReadCounted(ctx, q, opts, sink)
	return err
}

// ReadCounted is Read that also returns how many rows the server sent: the
// count in COPY's command tag, which PostgreSQL computes itself in the
// snapshot. It spares the job a count(*) scan of the table.
func (sn *Snapshot) ReadCounted(ctx context.Context, q loaders.Query, opts loaders.ReadOptions, sink loaders.RecordSink) (int64, error) {
	sql, err := selectSQL(q)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", queryName(q), err)
	}
	var sent int64
	err = sn.savepoint(ctx, "read "+queryName(q), func() (err error) {
		sent, err = sn.read(ctx, q, sql, opts, sink)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", queryName(q), err)
	}
	return sent, nil
}

func (sn *Snapshot) read(ctx context.Context, q loaders.Query, sql string, opts loaders.ReadOptions, sink loaders.RecordSink) (int64, error) {
	name := queryName(q)
	pg := sn.conn.PgConn()
	// Describing the statement gives the column types without running it.
	desc, err := pg.Prepare(ctx, "", sql, nil)
	if err != nil {
		return 0, fmt.Errorf("describe query: %w", err)
	}
	// COPY takes no parameters: the slice's bound goes in as a literal of
	// the type the server inferred for $1.
	copySelect := sql
	if q.Slice != nil {
		lit, err := sliceLiteral(q.Slice, desc.ParamOIDs)
		if err != nil {
			return 0, err
		}
		if copySelect, err = boundedSQL(q, lit); err != nil {
			return 0, err
		}
	}
	cols, err := sn.types.resolveColumns(ctx, name, desc.Fields)
	if err != nil {
		return 0, err
	}

	lcols := make([]loaders.Column, len(cols))
	for i, c := range cols {
		lcols[i] = c.Column
	}
	schema := loaders.Schema(lcols)
	if err := sink.Begin(schema, lcols); err != nil {
		return 0, fmt.Errorf("begin sink: %w", err)
	}

	batchRows := opts.Rows()
	columns := make([]column, len(cols))
	for i, c := range cols {
		columns[i] = newColumn(c.mapping, sn.mem, batchRows)
	}
	defer func() {
		for _, c := range columns {
			c.release()
		}
	}()
	// writeBatch hands the decoded rows to the sink; next sizes the
	// columns for the batch after it (0 after the last).
	writeBatch := func(rows, next int) error {
		rec := newBatch(schema, columns, rows, next)
		err := sink.Write(rec)
		rec.Release()
		if err != nil {
			return fmt.Errorf("write batch: %w", err)
		}
		return nil
	}
	dec := &copyDecoder{
		name:       name,
		cols:       cols,
		columns:    columns,
		batchRows:  batchRows,
		batchBytes: opts.Bytes(),
		flush:      func(rows int) error { return writeBatch(rows, batchRows) },
		onError: func() {
			// The server may still be sending rows; cancel rather than
			// drain what could be the rest of a big table.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = pg.CancelRequest(cctx)
			cancel()
		},
	}
	tag, err := pg.CopyTo(ctx, dec, "COPY ("+copySelect+"\n) TO STDOUT (FORMAT binary)")
	if dec.err != nil {
		// The cancel makes CopyTo fail too; the decoder's error is the cause.
		return 0, dec.err
	}
	if err != nil {
		return 0, err
	}
	if err := dec.finish(); err != nil {
		return 0, err
	}
	if dec.inBatch > 0 {
		if err := writeBatch(dec.inBatch, 0); err != nil {
			return 0, err
		}
	}
	sent := tag.RowsAffected()
	if sent != dec.row {
		return 0, fmt.Errorf("the server sent %d rows but %d were decoded", sent, dec.row)
	}
	if q.Table != "" {
		if err := sn.checkNotRewritten(ctx, q.Table); err != nil {
			return 0, err
		}
	}
	return sent, nil
}

// savepoint runs fn inside a savepoint. A failed statement aborts the whole
// transaction in Postgres; rolling back to the savepoint keeps the snapshot
// (which REPEATABLE READ holds for the transaction) usable. A failure that
// ended the connection ends the snapshot: every later call fails with its
// cause, and what was running (what: "read dwh.orders"), so that each table
// left to read says why rather than "conn closed".
func (sn *Snapshot) savepoint(ctx context.Context, what string, fn func() error) error {
	if sn.conn == nil {
		return errors.New("snapshot is closed")
	}
	if sn.lost != nil {
		return sn.lost
	}
	err := sn.inSavepoint(ctx, fn)
	if err == nil {
		return nil
	}
	err = explainRecoveryConflict(err)
	err = sn.explainLockTimeout(ctx, err)
	if sn.conn.IsClosed() {
		sn.lost = fmt.Errorf("not read: the snapshot's connection was lost (%s): %w", what, err)
	}
	return err
}

func (sn *Snapshot) inSavepoint(ctx context.Context, fn func() error) error {
	if _, err := sn.conn.Exec(ctx, "SAVEPOINT lake_op"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(); err != nil {
		if sn.conn.IsClosed() {
			return err // nothing left to roll back
		}
		if _, rerr := sn.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT lake_op; RELEASE SAVEPOINT lake_op"); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rerr))
		}
		return err
	}
	// Rolled back, not released, though it succeeded: it only read, and
	// rolling back frees the locks it took (the ACCESS SHARE lock on a
	// table read). A transaction's locks otherwise last until its end,
	// here the end of the night, and an ALTER TABLE on a table read hours
	// ago would wait for lake, with every query on that table queued
	// behind it. The snapshot, the transaction's, stays.
	if _, err := sn.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT lake_op; RELEASE SAVEPOINT lake_op"); err != nil {
		return fmt.Errorf("end savepoint: %w", err)
	}
	return nil
}

// Close ends the transaction and closes the connection.
func (sn *Snapshot) Close() error {
	conn := sn.conn
	if conn == nil {
		return nil
	}
	sn.conn = nil
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if conn.IsClosed() {
		return nil
	}
	// The transaction is read-only: rolling back loses nothing.
	_, rerr := conn.Exec(ctx, "ROLLBACK")
	if err := errors.Join(rerr, conn.Close(ctx)); err != nil {
		return fmt.Errorf("close snapshot: %w", err)
	}
	return nil
}

// queryName names the query in errors: the lake table, else what it reads.
func queryName(q loaders.Query) string {
	if q.Name != "" {
		return q.Name
	}
	return q.Describe()
}

// quoteTable quotes "schema.table" or "table" part by part, so mixed case
// and reserved words name exactly that table.
func quoteTable(table string) (string, error) {
	parts := strings.Split(table, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("table %q: want table or schema.table", table)
	}
	for _, p := range parts {
		if p == "" {
			return "", fmt.Errorf("table %q: empty name part", table)
		}
	}
	return pgx.Identifier(parts).Sanitize(), nil
}

// selectSQL is the statement that reads q, with a slice's bound as
// parameter $1 (whose type the server infers from the column).
func selectSQL(q loaders.Query) (string, error) { return boundedSQL(q, "$1") }

// boundedSQL is the statement that reads q: the table or SELECT, wrapped
// in a WHERE on its slice's column, compared with bound ($1, or the literal
// that sliceLiteral made for the column's type), and on its block range.
func boundedSQL(q loaders.Query, bound string) (string, error) {
	if err := q.Check(); err != nil {
		return "", err
	}
	if q.Slice == nil && q.Blocks == nil {
		if q.SQL != "" {
			return loaders.TrimSQL(q.SQL), nil
		}
		t, err := quoteTable(q.Table)
		if err != nil {
			return "", err
		}
		return "SELECT * FROM " + t, nil
	}
	from, err := fromClause(loaders.Query{Table: q.Table, SQL: q.SQL})
	if err != nil {
		return "", err
	}
	if q.SQL == "" {
		from += " AS lake_query"
	}
	var conds []string
	if s := q.Slice; s != nil {
		if s.Column == "" {
			return "", errors.New("slice needs a column")
		}
		col := "lake_query." + pgx.Identifier{s.Column}.Sanitize()
		switch s.Side {
		case loaders.Recent:
			conds = append(conds, col+" >= "+bound)
		case loaders.Tail:
			conds = append(conds, "("+col+" < "+bound+" OR "+col+" IS NULL)")
		default:
			return "", fmt.Errorf("slice side %d: expected recent or tail", s.Side)
		}
	}
	if b := q.Blocks; b != nil {
		// Block ranges read a table's pages directly: a TID range scan
		// (PostgreSQL 14+) touches only the range's pages.
		conds = append(conds, fmt.Sprintf("lake_query.ctid >= '(%d,0)'::tid", b.First))
		if b.Last > 0 {
			conds = append(conds, fmt.Sprintf("lake_query.ctid < '(%d,0)'::tid", b.Last))
		}
	}
	return "SELECT * FROM " + from + " WHERE " + strings.Join(conds, " AND "), nil
}

func fromClause(q loaders.Query) (string, error) {
	if err := q.Check(); err != nil {
		return "", err
	}
	if q.SQL != "" {
		return "(" + loaders.TrimSQL(q.SQL) + "\n) AS lake_query", nil
	}
	return quoteTable(q.Table)
}

// dsnPasswords finds, as well as it can, the password in a DSN that pgx
// could not parse: the URL's userinfo, or a password= keyword.
func dsnPasswords(dsn string) []string {
	var out []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			out = append(out, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	if i := strings.Index(dsn, "password="); i >= 0 {
		v := dsn[i+len("password="):]
		if strings.HasPrefix(v, "'") {
			v = v[1:]
			if j := strings.Index(v, "'"); j >= 0 {
				v = v[:j]
			}
		} else if j := strings.IndexAny(v, " &"); j >= 0 {
			v = v[:j]
		}
		out = append(out, v)
	}
	return out
}
