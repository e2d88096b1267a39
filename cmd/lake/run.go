package main

import (
	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newRunCmd(g *globals) *cobra.Command {
	var opts lake.RunOptions
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the nightly job: snapshot every table into partition ds, then update the clusters",
		Long: `Snapshot every configured table (or those named by --tables) into a new
write-once partition ds=YYYY-MM-DD, verify and commit each one, then bring
every cluster's views up to date. A table already committed for that ds is
skipped. A table that fails keeps its previous partition as latest; the
others still commit. Exit code 1 names what failed; 2 means a bad config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			job, err := g.job()
			if err != nil {
				return err
			}
			if opts.DS != "" {
				if _, err := lake.ParseDS(opts.DS); err != nil {
					return configError(err)
				}
			}
			if _, err := job.Config.SelectTables(opts.Tables); err != nil {
				return configError(err)
			}
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
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the run report as JSON")
	return cmd
}
