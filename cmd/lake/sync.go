package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newSyncCmd(g *globals) *cobra.Command {
	var cluster string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Rebuild every cluster's tables and _latest views from the warehouse alone",
		Long: `Bring every configured cluster (or only --cluster NAME) up to date from the
manifests in the warehouse: every table, every committed partition, every
_latest view. Use it for a brand new or empty cluster, one that missed a
night, or after deleting the DuckDB catalog. On Trino and Presto only what
the cluster lacks is done, so a second sync runs no DDL. --dry-run prints,
per cluster, the statements it would run, and runs nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			job, err := g.job()
			if err != nil {
				return err
			}
			if dryRun {
				plans, err := job.Plan(cmd.Context(), cluster)
				if err != nil {
					return configError(err)
				}
				return printPlans(cmd, plans)
			}
			results, err := job.SyncCluster(cmd.Context(), cluster)
			if err != nil {
				return configError(err)
			}
			rep := &lake.Report{Clusters: results}
			tw := newTable(cmd.OutOrStdout())
			for _, c := range results {
				tw.Write([]byte("cluster " + c.Cluster + "\t" + c.Status + "\t" + oneLine(c.Message) + "\n"))
			}
			tw.Flush()
			if len(rep.Failures()) > 0 {
				return &exitError{code: exitFailed, err: fmt.Errorf("sync failed on: %s", strings.Join(rep.Failures(), ", "))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&cluster, "cluster", "", "only this cluster (its name in lake.yaml)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the statements each cluster would get; run nothing")
	return cmd
}

// printPlans prints a dry run: per cluster, its statements, one per line
// ending in ";", under a "-- cluster NAME" header. A cluster whose plan is
// incomplete makes the command fail, naming it.
func printPlans(cmd *cobra.Command, plans []lake.ClusterPlan) error {
	w := cmd.OutOrStdout()
	var failed []string
	for _, p := range plans {
		fmt.Fprintf(w, "-- cluster %s: %d statements\n", p.Cluster, len(p.Statements))
		for _, s := range p.Statements {
			fmt.Fprintln(w, s+";")
		}
		if p.Err != nil {
			fmt.Fprintf(w, "-- cluster %s: %s\n", p.Cluster, oneLine(p.Err.Error()))
			failed = append(failed, "cluster "+p.Cluster)
		}
	}
	if len(failed) > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("dry run incomplete on: %s", strings.Join(failed, ", "))}
	}
	return nil
}
