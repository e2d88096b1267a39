package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
)

func newShowCmd(g *globals) *cobra.Command {
	var ds string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show TABLE",
		Short: "Show one partition's manifest: source, counts, schema, files, timings",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			job, err := g.job()
			if err != nil {
				return err
			}
			m, err := lake.FindManifest(cmd.Context(), job.Config, job.Store, args[0], ds)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, m)
			}
			fmt.Fprintf(out, "table      %s.%s\n", m.Schema, m.Table)
			fmt.Fprintf(out, "ds         %s (%s)\n", m.DS, m.Mode)
			fmt.Fprintf(out, "source     %s (%s): %s\n", m.Source.Name, m.Source.Driver, m.Source.Query)
			if m.Source.Ranges > 0 {
				fmt.Fprintf(out, "ranges     %d, read at once in one snapshot\n", m.Source.Ranges)
			}
			fmt.Fprintf(out, "rows       %d written, %d in the source snapshot\n", m.Rows.Written, m.Rows.Source)
			if inc := m.Incremental; inc != nil {
				fmt.Fprintf(out, "split      %s < %s (or NULL): %d tail rows, from the tail import of ds=%s\n", inc.Column, inc.Bound, m.Rows.Tail, inc.TailDS)
				if m.Rows.Carried > 0 || m.Mode == "recent" {
					fmt.Fprintf(out, "carried    %d tail rows copied without reading; %d rows in all\n", m.Rows.Carried, m.TotalRows())
				}
				if inc.Reason != "" {
					fmt.Fprintf(out, "why tail   %s\n", inc.Reason)
				}
			}
			fmt.Fprintf(out, "bytes      %s in %d files\n", humanBytes(m.Bytes()), len(m.Files))
			fmt.Fprintf(out, "run        %s (lake %s)\n", m.RunID, m.ToolVersion)
			fmt.Fprintf(out, "snapshot   %s\n", m.SnapshotAt.Format("2006-01-02 15:04:05Z07:00"))
			fmt.Fprintf(out, "took       %.1fs, committed %s\n", m.FinishedAt.Sub(m.StartedAt).Seconds(), m.CommittedAt.Format("2006-01-02 15:04:05Z07:00"))
			fmt.Fprintln(out)
			tw := newTable(out)
			fmt.Fprintln(tw, "COLUMN\tTYPE\tSOURCE TYPE")
			for _, c := range m.Columns {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Type, c.SourceType)
			}
			fmt.Fprintln(tw)
			fmt.Fprintln(tw, "FILE\tROLE\tROWS\tBYTES\tSHA256")
			for _, f := range m.Files {
				role := f.Role
				if role == "" {
					role = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", f.Name, role, f.Rows, humanBytes(f.Bytes), f.SHA256)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&ds, "ds", "", "partition date YYYY-MM-DD (default: the latest)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the manifest as JSON (the manifest's own stable format)")
	return cmd
}
