package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/lake-engine/lake/lake"
)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

// humanBytes prints a size the way people read it.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func printRunSummary(w io.Writer, rep *lake.Report) {
	fmt.Fprintf(w, "run %s  ds=%s  %.1fs\n", rep.RunID, rep.DS, rep.Finished.Sub(rep.Started).Seconds())
	tw := newTable(w)
	fmt.Fprintln(tw, "TABLE\tSTATUS\tROWS\tBYTES\tSECONDS\tMESSAGE")
	for _, t := range rep.Tables {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%.1f\t%s\n", t.Table, t.Status, t.Rows, humanBytes(t.Bytes), t.Seconds, oneLine(t.Message))
	}
	for _, c := range rep.Clusters {
		fmt.Fprintf(tw, "cluster %s\t%s\t\t\t%.1f\t%s\n", c.Cluster, c.Status, c.Seconds, oneLine(c.Message))
	}
	tw.Flush()
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }

// thousands prints a count with thousands separators, as people read it.
var thousands = message.NewPrinter(language.English).Sprint
