package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
)

// bench is one run of the harness.
type bench struct {
	opts options
	env  environment
	// lake is the absolute path of the bench's copy of the lake binary
	// (each run has its own working folder).
	lake string
	// scratch holds the warehouses and Parquet files of the measurements,
	// each removed after it was measured.
	scratch string
	info    machineInfo
	// unavailable says why a tool cannot run here (connectorx that did
	// not install), by tool name: it is reported, not failed.
	unavailable map[string]string
}

// prepare creates the bench database and collects what the report says
// about the machine and the versions.
func (b *bench) prepare(ctx context.Context) error {
	if err := createDatabase(ctx, b.env.adminURL, b.opts.db); err != nil {
		return err
	}
	var err error
	if b.scratch, err = os.MkdirTemp("", "lake-bench-"); err != nil {
		return err
	}
	// Every measurement runs a private copy of the binary: a `make build`
	// during the bench (minutes long) would otherwise mix two builds of
	// lake in one report.
	if runsLake(b.opts.tools) {
		b.lake = filepath.Join(b.scratch, "lake")
		if err := copyFile(b.opts.lake, b.lake, 0o755); err != nil {
			return fmt.Errorf("copy the lake binary: %w", err)
		}
	}
	b.info, b.unavailable = collectInfo(ctx, b)
	for name, why := range b.unavailable {
		slog.Warn("a peer cannot run here; the bench goes on without it", "tool", name, "reason", why)
	}
	return nil
}

// close removes the scratch folder, if prepare got as far as making it.
func (b *bench) close() {
	if b.scratch == "" {
		return
	}
	if err := os.RemoveAll(b.scratch); err != nil {
		slog.Warn("remove the scratch folder", "dir", b.scratch, "err", err)
	}
}

func copyFile(from, to string, perm os.FileMode) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// createDatabase creates the bench database on the test server unless it
// exists: its tables are kept from one run to the next.
func createDatabase(ctx context.Context, adminURL, db string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to the test PostgreSQL (%s): %w; is it running? eval \"$(bash localstack/services.sh up postgres s3)\"", postgresURLEnv, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", db).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", db, err)
	}
	if exists {
		return nil
	}
	slog.Info("creating the bench database", "db", db)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", db, err)
	}
	return nil
}

// measureTable measures every selected tool on t, opts.reps times. The
// repetitions are the outer loop, so that a slow spell of the machine
// lands on one sample of every tool rather than on all samples of one.
func (b *bench) measureTable(ctx context.Context, t benchTable) tableResult {
	res := tableResult{table: t}
	// An unmeasured COPY first reads the table into the page cache (the
	// first tool would otherwise pay for it alone) and counts the bytes
	// of the source's binary stream.
	warm, err := copyRaw(ctx, b, t)
	if err != nil {
		res.err = fmt.Errorf("read %s: %w", t.name, err)
		return res
	}
	res.sourceBytes = warm.out
	for _, name := range b.opts.tools {
		res.tools = append(res.tools, toolResult{name: name, unavailable: b.unavailable[name]})
	}
	for rep := 1; rep <= b.opts.reps; rep++ {
		for i := range res.tools {
			tr := &res.tools[i]
			if tr.unavailable != "" || tr.err != nil {
				continue
			}
			s, err := toolByName(tr.name).measure(ctx, b, t)
			if err == nil && s.rows != t.rows {
				err = fmt.Errorf("wrote %d rows; the table has %d", s.rows, t.rows)
			}
			if err != nil {
				if ctx.Err() != nil {
					return res
				}
				// A tool that failed once is not run again: its other
				// samples would not be comparable anyway.
				tr.err = err
				slog.Error("measurement failed", "table", t.name, "tool", tr.name, "rep", rep, "err", err)
				continue
			}
			tr.samples = append(tr.samples, s)
			slog.Info("measured", "table", t.name, "tool", tr.name, "rep", rep,
				"seconds", round(s.wall.Seconds(), 2), "rss_mb", round(mb(s.rss), 0), "out_mb", round(mb(s.out), 1))
		}
	}
	return res
}

// scratchDir makes a fresh folder for one measurement; the caller removes
// it.
func (b *bench) scratchDir(prefix string) (string, error) {
	return os.MkdirTemp(b.scratch, prefix)
}

// removeAll removes a measurement's folder. A failure only costs disk
// space, so it is logged, not returned.
func removeAll(dir string) {
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		slog.Warn("remove a measurement's folder", "dir", dir, "err", err)
	}
}

func mb(bytes int64) float64 { return float64(bytes) / 1e6 }

// round x to digits decimals, for logs.
func round(x float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(x*p) / p
}
