package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
)

// duckdbCopy runs DuckDB's postgres_scan into one Parquet file, in a new
// Python process of the bench venv.
func duckdbCopy(ctx context.Context, b *bench, t benchTable) (sample, error) {
	return b.runPeer(ctx, "duckdb-", func(out string) []string {
		return []string{"-c", duckdbCopyPy, b.env.extensionDir, b.env.dsn, t.name, out}
	})
}

// connectorxCopy runs ConnectorX + pyarrow into one Parquet file, reading
// with one connection per core, as its documentation advises for speed.
func connectorxCopy(ctx context.Context, b *bench, t benchTable) (sample, error) {
	return b.runPeer(ctx, "connectorx-", func(out string) []string {
		return []string{"-c", connectorxCopyPy, b.env.dsn, t.name, t.key, strconv.Itoa(runtime.NumCPU()), out}
	})
}

// runPeer runs the venv's python with args(output file) and measures it; the
// script prints {"rows": N}.
func (b *bench) runPeer(ctx context.Context, prefix string, args func(out string) []string) (sample, error) {
	dir, err := b.scratchDir(prefix)
	if err != nil {
		return sample{}, err
	}
	defer removeAll(dir)
	out := filepath.Join(dir, "out.parquet")
	cmd := exec.CommandContext(ctx, b.env.python, args(out)...)
	cmd.Dir = dir
	c, err := runChild(cmd)
	if err != nil {
		return sample{}, err
	}
	var printed struct{ Rows int64 }
	if err := json.Unmarshal(c.stdout, &printed); err != nil {
		return sample{}, fmt.Errorf("read the row count the script printed (%q): %w", c.stdout, err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		return sample{}, err
	}
	return sample{wall: c.wall, rss: c.rss, anon: c.anon, cpu: c.cpu, out: fi.Size(), rows: printed.Rows}, nil
}
