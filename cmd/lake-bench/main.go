package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "lake-bench:", err)
		}
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	reps    int
	tables  []string
	tools   []string
	workers int
	split   int
	lake    string
	out     string
	db      string
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("lake-bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: lake-bench [flags]

Compares lake with raw COPY, DuckDB and ConnectorX on PostgreSQL tables and
writes bench/results.md. Run it through `+"`make bench-peers`"+`, which starts the
servers and the Python venv it needs; by hand:

  eval "$(bash localstack/services.sh up postgres s3)"
  eval "$(bash localstack/bench/venv.sh)"
  make build && go run ./cmd/lake-bench -reps 1 -tables orders_1m

flags:
`)
		fs.PrintDefaults()
	}
	var o options
	var tables, tools string
	fs.IntVar(&o.reps, "reps", 3, "measurements per tool and table; the median is reported")
	fs.StringVar(&tables, "tables", strings.Join(tableNames(), ","), "comma-separated tables to measure")
	fs.StringVar(&tools, "tools", strings.Join(toolNames(), ","), "comma-separated tools to measure (lake-local is the reference of the ratios)")
	fs.IntVar(&o.workers, "workers", 0, "lake.yaml sources.NAME.workers: connections reading one source's snapshot; 0 leaves the key out")
	fs.IntVar(&o.split, "split", 0, "lake.yaml tables[].split: ctid block ranges a table is read as; 0 leaves the key out")
	fs.StringVar(&o.lake, "lake", "bin/lake", "the lake binary to measure")
	fs.StringVar(&o.out, "out", "bench/results.md", "the markdown report to write; empty writes none")
	fs.StringVar(&o.db, "db", "lake_bench", "the PostgreSQL database holding the generated tables")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q; see -help", fs.Args())
	}
	if o.reps < 1 {
		return o, fmt.Errorf("-reps %d: expected at least 1", o.reps)
	}
	if o.workers < 0 || o.split < 0 {
		return o, errors.New("-workers and -split: expected 0 (key left out) or more")
	}
	var err error
	if o.tables, err = pick("-tables", tables, tableNames()); err != nil {
		return o, err
	}
	if o.tools, err = pick("-tools", tools, toolNames()); err != nil {
		return o, err
	}
	return o, nil
}

// pick splits a comma-separated flag value and checks every name is known.
// The result keeps the order of known, so reports always read the same way.
func pick(flagName, value string, known []string) ([]string, error) {
	var want []string
	for n := range strings.SplitSeq(value, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("%s: unknown %q; expected some of %s", flagName, n, strings.Join(known, ","))
		}
		want = append(want, n)
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("%s: empty; expected some of %s", flagName, strings.Join(known, ","))
	}
	var picked []string
	for _, n := range known {
		if slices.Contains(want, n) {
			picked = append(picked, n)
		}
	}
	return picked, nil
}

func run(ctx context.Context, args []string) error {
	opts, err := parseFlags(args)
	if err != nil {
		return err
	}
	env, err := loadEnv(opts)
	if err != nil {
		return err
	}
	b := &bench{opts: opts, env: env}
	defer b.close()
	if err := b.prepare(ctx); err != nil {
		return err
	}

	var results []tableResult
	for _, name := range opts.tables {
		t := tableByName(name)
		if err := b.ensureTable(ctx, t); err != nil {
			return err
		}
		results = append(results, b.measureTable(ctx, t))
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}

	rep := report{opts: opts, info: b.info, tables: results}
	rep.printText(os.Stdout)
	if opts.out != "" {
		if err := rep.writeMarkdown(opts.out); err != nil {
			return err
		}
		slog.Info("wrote the report", "file", opts.out)
	}
	if failed := rep.failures(); failed > 0 {
		return fmt.Errorf("%d measurements failed; see the report", failed)
	}
	return nil
}

// names lists the names of items, in order.
func names[T any](items []T, name func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return out
}

// byName returns the item of items called want, which must exist.
func byName[T any](items []T, name func(T) string, want string) T {
	for _, it := range items {
		if name(it) == want {
			return it
		}
	}
	panic("lake-bench: unknown name " + want)
}
