package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newSyncCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Rebuild every cluster's tables and _latest views from the warehouse alone",
		Long: `Bring every configured cluster up to date from the manifests in the warehouse:
every table, every committed partition, every _latest view. Use it after
deleting the DuckDB catalog, or for a cluster that missed a night.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			job, err := g.job()
			if err != nil {
				return err
			}
			results := job.Sync(cmd.Context())
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
	return cmd
}
