package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newLsCmd(g *globals) *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List tables and their committed partitions",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			job, err := g.job()
			if err != nil {
				return err
			}
			inv, err := lake.ReadInventory(cmd.Context(), job.Store)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, inv)
			}
			tw := newTable(out)
			if all {
				fmt.Fprintln(tw, "TABLE\tDS\tMODE\tROWS\tBYTES\tFILES\tRUN")
				for _, t := range inv.Tables {
					for _, p := range t.Partitions {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\n", t.Table, p.DS, p.Mode, p.Rows, humanBytes(p.Bytes), p.Files, p.RunID)
					}
				}
				return tw.Flush()
			}
			fmt.Fprintln(tw, "TABLE\tPARTITIONS\tLATEST DS\tROWS\tBYTES\tTOTAL BYTES")
			for _, t := range inv.Tables {
				l := t.LatestPartition()
				fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\n", t.Table, len(t.Partitions), t.Latest, l.Rows, humanBytes(l.Bytes), humanBytes(t.TotalBytes()))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the inventory as JSON (a stable format, see README)")
	cmd.Flags().BoolVarP(&all, "all", "a", false, "list every partition, not one line per table")
	return cmd
}
