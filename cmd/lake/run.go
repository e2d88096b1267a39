package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newRunCmd(g *globals) *cobra.Command {
	var opts lake.RunOptions
	var asJSON, dryRun bool
	var progress time.Duration
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the nightly job: snapshot every table into partition ds, then update the clusters",
		Long: `Snapshot every configured table (or those named by --tables) into a new
write-once partition ds=YYYY-MM-DD, verify and commit each one, then bring
every cluster's views up to date. A table already committed for that ds is
skipped. A table that fails keeps its previous partition as latest; the
others still commit. --full makes incremental tables re-import their tail
tonight (combine with --tables to choose them). --dry-run prints the tables
the run would import and the statements each cluster would get for what is
committed now (tonight's partitions come on top), and runs nothing. Exit
code 1 names what failed; 2 means a bad config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			job, err := g.job()
			if err != nil {
				return err
			}
			if opts.DS != "" {
				if err := job.CheckDS(opts.DS); err != nil {
					return configError(err)
				}
			}
			tables, err := job.Config.SelectTables(opts.Tables)
			if err != nil {
				return configError(err)
			}
			if dryRun {
				return printRunPlan(cmd, job, opts, tables)
			}
			job.Progress = progress
			rep, err := job.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), rep); err != nil {
					return err
				}
			} else {
				printRunSummary(cmd.OutOrStdout(), rep)
			}
			if err := rep.Err(); err != nil {
				return &exitError{code: exitFailed, err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&opts.DS, "ds", "", "partition date YYYY-MM-DD (default: today in the config's timezone)")
	cmd.Flags().StringSliceVar(&opts.Tables, "tables", nil, "only these tables (comma separated)")
	cmd.Flags().BoolVar(&opts.Full, "full", false, "read incremental tables in full tonight (a tail import), whatever the day")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run report as JSON")
	cmd.Flags().DurationVar(&progress, "progress", time.Minute, "log each table's rows written so far at this interval while it is read (0: never)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the tables to import and each cluster's statements as of now; run nothing")
	return cmd
}

// printRunPlan is run --dry-run: which tables would be imported into which
// ds, then each cluster's plan as of the warehouse now.
func printRunPlan(cmd *cobra.Command, job *lake.Job, opts lake.RunOptions, tables []lake.TableConfig) error {
	ds := opts.DS
	if ds == "" {
		ds = job.Config.Today(time.Now())
	}
	w := cmd.OutOrStdout()
	for _, t := range tables {
		fmt.Fprintf(w, "-- would import %s.%s ds=%s from source %s (unless already committed)\n", t.Schema, t.Name, ds, t.Source)
	}
	plans, err := job.Plan(cmd.Context(), "")
	if err != nil {
		return err
	}
	return printPlans(cmd, plans)
}
