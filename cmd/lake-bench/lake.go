package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// benchDS is the night every measurement imports. Each one writes into a
// fresh warehouse, so the same ds is never a no-op rerun; a fixed one keeps
// the runs comparable (and lake.yaml's max_ds_age covers it for a century).
const benchDS = "2026-01-01"

// lakeLocal runs lake into a fresh local warehouse folder.
func lakeLocal(ctx context.Context, b *bench, t benchTable) (sample, error) {
	dir, err := b.scratchDir("lake-local-")
	if err != nil {
		return sample{}, err
	}
	defer removeAll(dir)
	return b.runLake(ctx, dir, t, "warehouse: ./warehouse\n", b.opts.workers, b.opts.split)
}

// lakeParallel runs lake into a fresh local warehouse folder reading the
// table over one connection per core, all in one snapshot: DuckDB's
// postgres_scan reads with as many by default.
func lakeParallel(ctx context.Context, b *bench, t benchTable) (sample, error) {
	dir, err := b.scratchDir("lake-parallel-")
	if err != nil {
		return sample{}, err
	}
	defer removeAll(dir)
	cores := runtime.NumCPU()
	return b.runLake(ctx, dir, t, "warehouse: ./warehouse\n", cores, cores)
}

// lakeS3 runs lake into a fresh prefix of the test S3 server, removed
// afterwards so that LocalStack does not hold every repetition's files.
func lakeS3(ctx context.Context, b *bench, t benchTable) (sample, error) {
	dir, err := b.scratchDir("lake-s3-")
	if err != nil {
		return sample{}, err
	}
	defer removeAll(dir)
	prefix := "lake-bench/" + filepath.Base(dir)
	defer func() {
		if err := deleteS3Prefix(context.WithoutCancel(ctx), b.env, prefix+"/"); err != nil {
			slog.Warn("clean up the S3 prefix", "url", "s3://"+b.env.s3Bucket+"/"+prefix, "err", err)
		}
	}()
	return b.runLake(ctx, dir, t, fmt.Sprintf("warehouse: s3://%s/%s\ns3: {endpoint: %q, path_style: true}\n",
		b.env.s3Bucket, prefix, b.env.s3Endpoint), b.opts.workers, b.opts.split)
}

// lakeYAML is the config of one measurement: warehouse is its first lines.
// lake refuses `clusters: []`, so the default DuckDB catalog is named
// explicitly; registering one table on it takes a fraction of a second, and
// the report says how much. workers and split are left out at 0: lake's
// defaults, one connection reading the table whole.
func (b *bench) lakeYAML(warehouse string, t benchTable, workers, split int) string {
	var s strings.Builder
	s.WriteString("# Written by cmd/lake-bench for one measurement.\n")
	s.WriteString(warehouse)
	s.WriteString("max_ds_age: 36500d\nsources:\n  bench:\n    driver: postgres\n")
	fmt.Fprintf(&s, "    dsn: %q\n", b.env.dsn)
	if workers > 0 {
		fmt.Fprintf(&s, "    workers: %d\n", workers)
	}
	fmt.Fprintf(&s, "tables:\n  - name: %s\n    source: bench\n", t.name)
	if split > 0 {
		fmt.Fprintf(&s, "    split: %d\n", split)
	}
	s.WriteString("clusters:\n  - {name: local, engine: duckdb, path: ./lake.duckdb}\n")
	return s.String()
}

// runReport is the part of `lake run --json` the bench reads (the format
// is stable: fields are only ever added).
type runReport struct {
	Tables []struct {
		Table   string `json:"table"`
		Status  string `json:"status"`
		Rows    int64  `json:"rows"`
		Bytes   int64  `json:"bytes"`
		Message string `json:"message"`
	} `json:"tables"`
	Clusters []struct {
		Cluster string  `json:"cluster"`
		Status  string  `json:"status"`
		Seconds float64 `json:"seconds"`
		Message string  `json:"message"`
	} `json:"clusters"`
}

// runLake writes lake.yaml into dir and times `lake run` there as a user
// runs it: a new process, so its rusage is lake's alone. The output bytes
// are the committed partition's Parquet files, from the run report.
func (b *bench) runLake(ctx context.Context, dir string, t benchTable, warehouse string, workers, split int) (sample, error) {
	if err := os.WriteFile(filepath.Join(dir, "lake.yaml"), []byte(b.lakeYAML(warehouse, t, workers, split)), 0o644); err != nil {
		return sample{}, err
	}
	cmd := exec.CommandContext(ctx, b.lake, "run", "--ds", benchDS, "--json")
	cmd.Dir = dir
	c, err := runChild(cmd)
	if err != nil {
		return sample{}, err
	}
	var rep runReport
	if err := json.Unmarshal(c.stdout, &rep); err != nil {
		return sample{}, fmt.Errorf("read lake's run report: %w", err)
	}
	if len(rep.Tables) != 1 || rep.Tables[0].Status != "committed" {
		return sample{}, fmt.Errorf("lake did not commit %s: %s", t.name, c.stdout)
	}
	s := sample{wall: c.wall, rss: c.rss, anon: c.anon, cpu: c.cpu, out: rep.Tables[0].Bytes, rows: rep.Tables[0].Rows}
	for _, cl := range rep.Clusters {
		if cl.Status != "ok" {
			return sample{}, fmt.Errorf("lake's cluster %s failed: %s", cl.Cluster, cl.Message)
		}
		s.cluster += time.Duration(cl.Seconds * float64(time.Second))
	}
	return s, nil
}
