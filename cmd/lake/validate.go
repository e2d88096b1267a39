package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newValidateCmd(g *globals) *cobra.Command {
	var offline bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check lake.yaml, the warehouse, each source and each table, and print the plan",
		Long: `Check lake.yaml (exit 2 with file, line and key on a bad config), connect to
write, read back, list and delete a small object in the warehouse as a run's
files and commits do, connect to every source a table uses and open a
snapshot as a run would, and look at each table in it without reading its
rows: that it exists, that lake can store every column's type, that a query
runs, that an incremental column is a date or timestamp. Print what a run
would do: each table, where it comes from, its columns and the source's
estimate of its rows, or why it would fail. Exit 1 if the warehouse cannot be
written, a source cannot be reached or a table would fail.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "config     %s: ok\n", cfg.Path)
			var warehouseErr error
			if offline {
				fmt.Fprintf(out, "warehouse  %s\n", cfg.Warehouse)
			} else {
				start := time.Now()
				status := "ok"
				if warehouseErr = lake.CheckWarehouse(cmd.Context(), cfg); warehouseErr != nil {
					status = "cannot be written: " + oneLine(warehouseErr.Error())
				}
				fmt.Fprintf(out, "warehouse  %s: %s (%.2fs)\n", cfg.Warehouse, status, time.Since(start).Seconds())
			}
			fmt.Fprintf(out, "today      ds=%s (%s)\n", cfg.Today(timeNow()), cfg.Location)
			for _, c := range cfg.Clusters {
				where := c.Path
				if c.Engine != "duckdb" {
					where = c.URL // never with credentials (config_validate)
				}
				fmt.Fprintf(out, "cluster    %s (%s) %s\n", c.Name, c.Engine, where)
			}
			if offline {
				fmt.Fprintln(out)
				tw := newTable(out)
				fmt.Fprintln(tw, "TABLE\tSOURCE\tREADS\tSTATUS")
				for _, t := range cfg.Tables {
					fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%s\n", t.Schema, t.Name, t.Source, reads(t), "not checked (--offline)")
				}
				return tw.Flush()
			}
			checks := lake.CheckSources(cmd.Context(), cfg, timeNow())
			unreachable, failed := 0, 0
			for _, chk := range checks {
				status := fmt.Sprintf("ok (%.2fs)", chk.Elapsed.Seconds())
				if chk.Err != nil {
					unreachable++
					status = "unreachable"
				}
				fmt.Fprintf(out, "source     %s (%s) %s: %s\n", chk.Source, chk.Driver, chk.DSN, status)
			}
			fmt.Fprintln(out)
			tw := newTable(out)
			fmt.Fprintln(tw, "TABLE\tSOURCE\tREADS\tSTATUS")
			for _, chk := range checks {
				for _, t := range chk.Tables {
					if chk.Err == nil && t.Err != nil {
						failed++
					}
					fmt.Fprintf(tw, "%s.%s\t%s (%s)\t%s\t%s\n", t.Schema, t.Name, chk.Source, chk.Driver, reads(t.TableConfig), tableStatus(chk, t))
				}
			}
			tw.Flush()
			var problems []string
			if warehouseErr != nil {
				problems = append(problems, "the warehouse cannot be written")
			}
			if unreachable > 0 {
				problems = append(problems, fmt.Sprintf("%d source(s) unreachable", unreachable))
			}
			if failed > 0 {
				problems = append(problems, fmt.Sprintf("%d table(s) would fail", failed))
			}
			if len(problems) > 0 {
				return &exitError{code: exitFailed, err: errors.New(strings.Join(problems, ", "))}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "check the config only; do not connect to sources")
	return cmd
}

// tableStatus is a table's line in validate's plan: what a run would
// write, or why it would fail before reading a row.
func tableStatus(chk lake.SourceCheck, t lake.TableCheck) string {
	switch {
	case chk.Err != nil:
		return "source unreachable: " + oneLine(chk.Err.Error())
	case t.Err != nil:
		return "fails: " + oneLine(t.Err.Error())
	case t.HasEstimate:
		return fmt.Sprintf("ok: %d columns, about %s rows", len(t.Columns), thousands(t.Estimate))
	}
	return fmt.Sprintf("ok: %d columns", len(t.Columns))
}

func reads(t lake.TableConfig) string {
	if t.Query != "" {
		return "query"
	}
	if t.Split > 1 {
		return fmt.Sprintf("%s in %d ranges", t.Table, t.Split)
	}
	return t.Table
}
