package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/lake-engine/lake/loaders"
)

var (
	_ loaders.Source   = (*Source)(nil)
	_ loaders.Snapshot = (*Snapshot)(nil)
)

// Source is one MySQL or MariaDB server. Each Snapshot takes a connection of
// its own and closes it in Close; the pool keeps no idle connection.
type Source struct {
	// Allocator allocates the Arrow buffers of every Read; nil means
	// memory.DefaultAllocator. Set it before taking snapshots.
	Allocator memory.Allocator
	// LockTimeout is how long a statement of a snapshot waits for a
	// metadata lock (lock_wait_timeout, whole seconds, at least 1) before
	// it fails; 0 keeps the server's setting. Set it before taking
	// snapshots.
	LockTimeout time.Duration

	db     *sql.DB
	addr   string
	secret string
}

// DSNExpected says what a DSN looks like, for messages.
const DSNExpected = "expected user:${PASSWORD}@tcp(host:3306)/db"

// CheckDSN says what is wrong with the shape of a DSN, without connecting.
// Its error never contains the password.
func CheckDSN(dsn string) error {
	if strings.Contains(dsn, "://") {
		return fmt.Errorf("a URL is not a mysql DSN; %s", DSNExpected)
	}
	if _, err := mysqldrv.ParseDSN(dsn); err != nil {
		return fmt.Errorf("parse mysql dsn: %w; %s", loaders.Redact(err, dsnPassword(dsn)), DSNExpected)
	}
	return nil
}

// Open parses dsn (the driver's form, user:password@tcp(host:3306)/db) and
// checks that the server accepts a connection. Errors never contain the
// password.
func Open(ctx context.Context, dsn string) (*Source, error) {
	if err := CheckDSN(dsn); err != nil {
		return nil, err
	}
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse mysql dsn: %w", loaders.Redact(err, dsnPassword(dsn)))
	}
	// The appenders decode dates and names themselves; these options would
	// change what the driver hands them.
	cfg.ParseTime = false
	cfg.ColumnsWithAlias = false
	connector, err := mysqldrv.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("configure mysql connection: %w", loaders.Redact(err, cfg.Passwd))
	}
	db := sql.OpenDB(connector)
	// A snapshot's session (its transaction, time zone) must not be handed
	// to anyone else: connections are closed when released.
	db.SetMaxIdleConns(0)
	s := &Source{db: db, addr: cfg.Addr, secret: cfg.Passwd}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, s.connectError(err)
	}
	return s, nil
}

func (s *Source) connectError(err error) error {
	return fmt.Errorf("connect to mysql %s: %w", s.addr, loaders.Redact(err, s.secret))
}

// Close closes the connection pool. Snapshots must be closed first.
func (s *Source) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close mysql source: %w", err)
	}
	return nil
}

// sessionSetup prepares a snapshot's session and begins its transaction.
var sessionSetup = []string{
	// Arrow strings are UTF-8; utf8mb4 is all of it, emoji included.
	"SET NAMES utf8mb4",
	// TIMESTAMP values are sent in the session time zone: UTC makes them
	// the instants they are.
	"SET time_zone = '+00:00'",
	// The server gives up on a client that does not read for
	// net_write_timeout seconds (default 60); a sink writing a row group
	// to slow storage must not lose the result.
	"SET SESSION net_write_timeout = 3600",
	"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	// InnoDB takes the read view now, not at the first read.
	"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
}

// Snapshot opens a connection and begins a consistent, read-only
// transaction on it, so that every Count and Read of the snapshot sees the
// data as of this call.
func (s *Source) Snapshot(ctx context.Context) (loaders.Snapshot, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, s.connectError(err)
	}
	setup := sessionSetup
	if s.LockTimeout > 0 {
		secs := max(1, int64((s.LockTimeout+time.Second-1)/time.Second))
		setup = append([]string{fmt.Sprintf("SET SESSION lock_wait_timeout = %d", secs)}, setup...)
	}
	for _, stmt := range setup {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			conn.Close()
			return nil, fmt.Errorf("begin snapshot: %s: %w", stmt, err)
		}
	}
	var id int64
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		conn.Close()
		return nil, fmt.Errorf("begin snapshot: connection id: %w", err)
	}
	mem := s.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &Snapshot{src: s, conn: conn, id: id, mem: mem}, nil
}

// Snapshot is one consistent, read-only transaction on its own connection.
// A statement that fails inside it (bad SQL, a value that cannot be stored)
// does not end the transaction, so the snapshot stays usable for the other
// tables.
type Snapshot struct {
	src  *Source
	conn *sql.Conn
	id   int64 // CONNECTION_ID(), for KILL QUERY
	mem  memory.Allocator
	// stopped says that the last read was stopped with KILL QUERY.
	stopped bool
}

// Count returns SELECT COUNT(*) over the query's table or SQL, within the
// query's Slice if it has one.
func (sn *Snapshot) Count(ctx context.Context, q loaders.Query) (int64, error) {
	from, err := fromClause(q)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", queryName(q), err)
	}
	if sn.conn == nil {
		return 0, fmt.Errorf("count %s: snapshot is closed", queryName(q))
	}
	if q.Slice != nil {
		stmt, err := selectSQL(q)
		if err != nil {
			return 0, fmt.Errorf("count %s: %w", queryName(q), err)
		}
		from = "(" + stmt + ") AS lake_count"
	}
	args, err := sn.sliceBound(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", queryName(q), err)
	}
	var n int64
	err = sn.inSavepoint(ctx, func() error {
		return sn.conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+from, args...).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", queryName(q), err)
	}
	return n, nil
}

// EstimateRows returns the server's estimate of the rows of q's table,
// information_schema.TABLES.TABLE_ROWS: InnoDB's, from sampled pages, can
// be off by half. A SELECT, a view and an empty or never sampled table
// have none.
func (sn *Snapshot) EstimateRows(ctx context.Context, q loaders.Query) (int64, bool, error) {
	if q.Table == "" {
		return 0, false, nil
	}
	if sn.conn == nil {
		return 0, false, fmt.Errorf("estimate the rows of %s: snapshot is closed", queryName(q))
	}
	var db sql.NullString
	name := q.Table
	if d, t, ok := strings.Cut(q.Table, "."); ok {
		db, name = sql.NullString{String: d, Valid: true}, t
	}
	var rows sql.NullInt64
	err := sn.inSavepoint(ctx, func() error {
		err := sn.conn.QueryRowContext(ctx, `SELECT TABLE_ROWS FROM information_schema.TABLES
			WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?`, db, name).Scan(&rows)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("estimate the rows of %s: %w", queryName(q), err)
	}
	if !rows.Valid || rows.Int64 <= 0 {
		return 0, false, nil
	}
	return rows.Int64, true, nil
}

// inSavepoint runs fn, which only reads, between a savepoint and a
// rollback to it: the rollback frees the metadata locks fn took, as
// mysqldump --single-transaction does after each table. A transaction
// otherwise keeps them until it ends, here the end of the night, and an
// ALTER TABLE on a table read hours ago would wait for lake, with every
// query on that table queued behind it. The consistent snapshot stays.
func (sn *Snapshot) inSavepoint(ctx context.Context, fn func() error) error {
	if _, err := sn.conn.ExecContext(ctx, "SAVEPOINT lake_op"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err := sn.explainLockTimeout(fn())
	if _, rerr := sn.conn.ExecContext(ctx, "ROLLBACK TO SAVEPOINT lake_op"); rerr != nil {
		return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rerr))
	}
	return err
}

// errLockWaitTimeout is ER_LOCK_WAIT_TIMEOUT, which a statement that
// waited lock_wait_timeout for a metadata lock fails with.
const errLockWaitTimeout = 1205

// explainLockTimeout says what a lock wait timeout means for a read: a
// session holds the table (an ALTER TABLE, LOCK TABLES ... WRITE, a
// TRUNCATE) longer than the source's lock_timeout. Other errors are
// returned as they are.
func (sn *Snapshot) explainLockTimeout(err error) error {
	var me *mysqldrv.MySQLError
	if !errors.As(err, &me) || me.Number != errLockWaitTimeout {
		return err
	}
	timeout := "lock_wait_timeout"
	if t := sn.src.LockTimeout; t > 0 {
		timeout = fmt.Sprintf("lock_timeout (%s)", t)
	}
	return fmt.Errorf("%w: waited the source's %s for the table's metadata lock, which another session holds "+
		"(an ALTER TABLE, TRUNCATE or LOCK TABLES ... WRITE); not read: schedule the two apart, "+
		"or raise the source's lock_timeout in lake.yaml", err, timeout)
}

// Read streams the query's rows to sink in batches of opts' size (rows or
// bytes). Column types are resolved from the result's metadata before any
// row is read, so an unsupported type fails with an
// *loaders.UnsupportedTypeError and the sink sees nothing.
func (sn *Snapshot) Read(ctx context.Context, q loaders.Query, opts loaders.ReadOptions, sink loaders.RecordSink) error {
	stmt, err := selectSQL(q)
	if err != nil {
		return fmt.Errorf("read %s: %w", queryName(q), err)
	}
	if sn.conn == nil {
		return fmt.Errorf("read %s: snapshot is closed", queryName(q))
	}
	args, err := sn.sliceBound(ctx, q)
	if err != nil {
		return fmt.Errorf("read %s: %w", queryName(q), err)
	}
	err = sn.inSavepoint(ctx, func() error {
		sn.stopped = false
		err := sn.conn.Raw(func(dc any) error {
			return sn.read(ctx, dc, queryName(q), stmt, args, opts, sink)
		})
		if sn.stopped {
			// Before the rollback to the savepoint, which a late KILL
			// QUERY would otherwise hit.
			sn.settle(ctx)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", queryName(q), err)
	}
	return nil
}

// read runs one statement on the snapshot's driver connection. A prepared
// statement makes the server answer in the binary protocol.
func (sn *Snapshot) read(ctx context.Context, dc any, name, query string, args []any, opts loaders.ReadOptions, sink loaders.RecordSink) (err error) {
	prep, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("driver connection %T cannot prepare statements", dc)
	}
	st, err := prep.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close statement: %w", cerr)
		}
	}()
	sq, ok := st.(driver.StmtQueryContext)
	if !ok {
		return fmt.Errorf("driver statement %T cannot query", st)
	}
	params := make([]driver.NamedValue, len(args))
	for i, a := range args {
		params[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := sq.QueryContext(ctx, params)
	if err != nil {
		return err
	}
	// From here on the server may be sending rows. On failure, stop it
	// rather than drain what could be the rest of a big table.
	done := false
	defer func() {
		if !done {
			sn.stop(ctx, rows)
		}
	}()

	cols, err := resolveColumns(name, rows)
	if err != nil {
		return err
	}
	lcols := make([]loaders.Column, len(cols))
	for i, c := range cols {
		lcols[i] = c.Column
	}
	schema := loaders.Schema(lcols)
	if err := sink.Begin(schema, lcols); err != nil {
		return fmt.Errorf("begin sink: %w", err)
	}

	rb := array.NewRecordBuilder(sn.mem, schema)
	defer rb.Release()
	builders := rb.Fields()
	appenders := make([]appender, len(cols))
	for i, c := range cols {
		appenders[i] = c.bind(builders[i])
	}
	pending, err := stream(rows, name, cols, builders, appenders, opts, func() error { return loaders.WriteBatch(rb, sink, opts.Rows()) })
	if err != nil {
		return err
	}
	done = true
	if err := rows.Close(); err != nil {
		return fmt.Errorf("close result: %w", err)
	}
	if pending {
		return loaders.WriteBatch(rb, sink, 0)
	}
	return nil
}

// stream appends the result's rows to the builders, calling flush after each
// batch of opts' size. It reports whether rows wait for a last flush.
func stream(rows driver.Rows, name string, cols []resolvedColumn, builders []array.Builder, appenders []appender, opts loaders.ReadOptions, flush func() error) (pending bool, err error) {
	values := make([]driver.Value, len(cols))
	batchRows, batchBytes := opts.Rows(), opts.Bytes()
	inBatch, inBytes := 0, 0
	var row int64
	for {
		if err := rows.Next(values); err != nil {
			if err == io.EOF {
				break
			}
			return false, err
		}
		row++
		for i, v := range values {
			if v == nil {
				builders[i].AppendNull()
				continue
			}
			if err := appenders[i](v); err != nil {
				return false, fmt.Errorf("%s.%s: row %d: %w", name, cols[i].Name, row, err)
			}
			inBytes += loaders.ValueBytes(v)
		}
		inBatch++
		if inBatch == batchRows || inBytes >= batchBytes {
			if err := flush(); err != nil {
				return false, err
			}
			inBatch, inBytes = 0, 0
		}
	}
	return inBatch > 0, nil
}

// errQueryInterrupted is MySQL's ER_QUERY_INTERRUPTED, the error of a
// statement stopped by KILL QUERY.
const errQueryInterrupted = 1317

// stop ends a result that will not be read to its end. Closing it alone
// would read (and drop) every remaining row; KILL QUERY from a second
// connection makes the server stop sending instead. The transaction, and so
// the snapshot, survives.
func (sn *Snapshot) stop(ctx context.Context, rows driver.Rows) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	// If the kill cannot be sent, Close drains the rows: slower, but the
	// snapshot stays usable.
	_, _ = sn.src.db.ExecContext(kctx, fmt.Sprintf("KILL QUERY %d", sn.id))
	_ = rows.Close()
	sn.stopped = true
}

// settle runs a no-op after a stopped read: a KILL QUERY that arrived after
// the server had finished the statement hits the next one instead, and
// that must be this no-op, not the next table's read.
func (sn *Snapshot) settle(ctx context.Context) {
	for range 2 {
		_, err := sn.conn.ExecContext(ctx, "DO 0")
		var me *mysqldrv.MySQLError
		if !errors.As(err, &me) || me.Number != errQueryInterrupted {
			return
		}
	}
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
	// The transaction is read-only: rolling back loses nothing.
	_, rerr := conn.ExecContext(ctx, "ROLLBACK")
	if errors.Is(rerr, driver.ErrBadConn) || errors.Is(rerr, sql.ErrConnDone) {
		rerr = nil
	}
	if err := errors.Join(rerr, conn.Close()); err != nil {
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

// quoteTable quotes "db.table" or "table" part by part with backticks, so
// mixed case and reserved words name exactly that table.
func quoteTable(table string) (string, error) {
	parts := strings.Split(table, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("table %q: want table or db.table", table)
	}
	for i, p := range parts {
		if p == "" {
			return "", fmt.Errorf("table %q: empty name part", table)
		}
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, "."), nil
}

func selectSQL(q loaders.Query) (string, error) {
	if err := q.CheckUnsplit(); err != nil {
		return "", err
	}
	if q.Slice != nil {
		return slicedSQL(q)
	}
	if q.SQL != "" {
		return loaders.TrimSQL(q.SQL), nil
	}
	t, err := quoteTable(q.Table)
	if err != nil {
		return "", err
	}
	return "SELECT * FROM " + t, nil
}

func fromClause(q loaders.Query) (string, error) {
	if err := q.CheckUnsplit(); err != nil {
		return "", err
	}
	if q.SQL != "" {
		return "(" + loaders.TrimSQL(q.SQL) + "\n) AS lake_query", nil
	}
	return quoteTable(q.Table)
}

// dsnPassword finds the password of a DSN the driver may not parse, the way
// the driver looks for it: between the first ':' and the last '@' before the
// last '/'.
func dsnPassword(dsn string) string {
	end := strings.LastIndex(dsn, "/")
	if end < 0 {
		end = len(dsn)
	}
	at := strings.LastIndex(dsn[:end], "@")
	if at < 0 {
		return ""
	}
	_, pw, ok := strings.Cut(dsn[:at], ":")
	if !ok {
		return ""
	}
	return pw
}
