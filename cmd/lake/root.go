package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

// globals are the flags every command shares.
type globals struct {
	config    string
	logLevel  string
	logFormat string
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "lake",
		Short: "Snapshot production databases into write-once ds partitions of Parquet, and keep query engines current",
		Long: `lake snapshots production databases every night into write-once ds=YYYY-MM-DD
partitions of Parquet in a warehouse (a local folder), and keeps a DuckDB catalog
with a view per table and a <table>_latest view on the newest good partition.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	defaultConfig := os.Getenv("LAKE_CONFIG")
	if defaultConfig == "" {
		defaultConfig = "lake.yaml"
	}
	root.PersistentFlags().StringVarP(&g.config, "config", "c", defaultConfig, "config file (env LAKE_CONFIG)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", envOr("LAKE_LOG_LEVEL", "info"), "debug, info, warn or error (env LAKE_LOG_LEVEL)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", envOr("LAKE_LOG_FORMAT", "auto"), "text, json, or auto: text on a terminal, json otherwise (env LAKE_LOG_FORMAT)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return configError(err) })
	root.AddCommand(
		newInitCmd(g), newValidateCmd(g), newRunCmd(g), newLsCmd(g),
		newShowCmd(g), newQueryCmd(g), newSyncCmd(g), newVersionCmd(),
	)
	return root
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// loadConfig reads the config; a bad config exits with code 2.
func (g *globals) loadConfig() (*lake.Config, error) {
	cfg, err := lake.LoadConfig(g.config)
	if err != nil {
		return nil, configError(err)
	}
	return cfg, nil
}

// logger builds the slog logger: logs go to stderr, so stdout stays clean
// for tables and JSON.
func (g *globals) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, configError(fmt.Errorf("--log-level %q: expected debug, info, warn or error", g.logLevel))
	}
	var w io.Writer = os.Stderr
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(g.logFormat) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "auto":
		if isTerminal(os.Stderr) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, configError(fmt.Errorf("--log-format %q: expected text, json or auto", g.logFormat))
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// job loads the config and opens the warehouse.
func (g *globals) job() (*lake.Job, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	log, err := g.logger()
	if err != nil {
		return nil, err
	}
	return lake.NewJob(cfg, log)
}

// timeNow is the clock of commands that print dates.
var timeNow = time.Now
