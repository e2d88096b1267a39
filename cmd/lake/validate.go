package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newValidateCmd(g *globals) *cobra.Command {
	var offline bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check lake.yaml, connect to each source, and print the plan",
		Long: `Check lake.yaml (exit 2 with file, line and key on a bad config), connect to
every source a table uses (exit 1 if one cannot be reached), and print what a
run would do: each table, where it comes from and where it goes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "config     %s: ok\n", cfg.Path)
			fmt.Fprintf(out, "warehouse  %s\n", cfg.Warehouse)
			fmt.Fprintf(out, "today      ds=%s (%s)\n", cfg.Today(timeNow()), cfg.Location)
			for _, c := range cfg.Clusters {
				fmt.Fprintf(out, "cluster    %s (%s) %s\n", c.Name, c.Engine, c.Path)
			}
			fmt.Fprintln(out)
			failed := 0
			tw := newTable(out)
			fmt.Fprintln(tw, "TABLE\tSOURCE\tREADS\tSTATUS")
			if offline {
				for _, t := range cfg.Tables {
					fmt.Fprintf(tw, "%s.%s\t%s\t%s\t%s\n", t.Schema, t.Name, t.Source, reads(t), "not checked (--offline)")
				}
				return tw.Flush()
			}
			for _, chk := range lake.CheckSources(cmd.Context(), cfg) {
				status := fmt.Sprintf("source ok (%.2fs)", chk.Elapsed.Seconds())
				if chk.Err != nil {
					failed++
					status = "source unreachable: " + oneLine(chk.Err.Error())
				}
				for _, t := range chk.Tables {
					fmt.Fprintf(tw, "%s.%s\t%s (%s)\t%s\t%s\n", t.Schema, t.Name, chk.Source, chk.Driver, reads(t), status)
				}
			}
			tw.Flush()
			if failed > 0 {
				return &exitError{code: exitFailed, err: fmt.Errorf("%d source(s) unreachable", failed)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&offline, "offline", false, "check the config only; do not connect to sources")
	return cmd
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
