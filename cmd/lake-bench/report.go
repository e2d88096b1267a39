package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// tableResult is every tool's samples on one table.
type tableResult struct {
	table benchTable
	// sourceBytes is the size of the table's binary COPY stream: what every
	// tool has to read, whatever it does with it.
	sourceBytes int64
	// err is set when the table could not be read at all.
	err   error
	tools []toolResult
}

// toolResult is one tool's samples on one table. At most one of err and
// unavailable is set; samples taken before an error are not reported.
type toolResult struct {
	name        string
	samples     []sample
	err         error
	unavailable string
}

// figures are the medians of a tool's samples; ok is false when the tool
// has none to report.
type figures struct {
	ok      bool
	wall    time.Duration
	rss     int64
	anon    int64
	cpu     time.Duration
	out     int64
	cluster time.Duration
}

func (r toolResult) median() figures {
	if r.err != nil || r.unavailable != "" || len(r.samples) == 0 {
		return figures{}
	}
	var walls, cpus, clusters []time.Duration
	var rss, anon, out []int64
	for _, s := range r.samples {
		walls, cpus, clusters = append(walls, s.wall), append(cpus, s.cpu), append(clusters, s.cluster)
		rss, anon, out = append(rss, s.rss), append(anon, s.anon), append(out, s.out)
	}
	return figures{ok: true, wall: median(walls), rss: median(rss), anon: median(anon), cpu: median(cpus), out: median(out), cluster: median(clusters)}
}

// spread is the shortest and the longest wall time of the samples.
func (r toolResult) spread() (lo, hi time.Duration) {
	for i, s := range r.samples {
		if i == 0 || s.wall < lo {
			lo = s.wall
		}
		if s.wall > hi {
			hi = s.wall
		}
	}
	return lo, hi
}

// figures of the named tool on this table; not ok if it was not measured.
func (t tableResult) figures(tool string) figures {
	for _, r := range t.tools {
		if r.name == tool {
			return r.median()
		}
	}
	return figures{}
}

// report is the whole run, printed as text and written as markdown.
type report struct {
	opts   options
	info   machineInfo
	tables []tableResult
}

// failures counts the measurements that failed (not the unavailable
// peers, which are reported as such).
func (r report) failures() int {
	n := 0
	for _, t := range r.tables {
		if t.err != nil {
			n++
		}
		for _, tr := range t.tools {
			if tr.err != nil {
				n++
			}
		}
	}
	return n
}

// columns of a table's figures, shared by the text and markdown forms.
var columns = []string{"tool", "wall s (min–max)", "rows/s", "source MB/s", "CPU s", "peak RSS MB", "anon MB", "output MB", "time / lake-local"}

// statusRow is a row of columns with only the tool's name and a second
// cell filled.
func statusRow(name, second string) []string {
	row := make([]string, len(columns))
	row[0], row[1] = name, second
	return row
}

// rows renders the figures of one table, one row per tool, and the notes
// that go under it.
func (t tableResult) rows() (rows [][]string, notes []string) {
	ref := t.figures("lake-local")
	for _, tr := range t.tools {
		f := tr.median()
		switch {
		case tr.unavailable != "":
			rows = append(rows, statusRow(tr.name, "not installed"))
			notes = append(notes, fmt.Sprintf("%s did not run: %s", tr.name, tr.unavailable))
			continue
		case tr.err != nil:
			rows = append(rows, statusRow(tr.name, "failed"))
			notes = append(notes, fmt.Sprintf("%s failed: %s", tr.name, oneLine(tr.err.Error())))
			continue
		case !f.ok:
			continue
		}
		secs := f.wall.Seconds()
		wall := fmt.Sprintf("%.2f", secs)
		if len(tr.samples) > 1 {
			// The spread shows how much to trust a difference between two
			// tools: on a busy machine it can exceed it.
			lo, hi := tr.spread()
			wall += fmt.Sprintf(" (%.2f–%.2f)", lo.Seconds(), hi.Seconds())
		}
		row := statusRow(tr.name, wall)
		row[2] = thousands(int64(float64(t.table.rows) / secs))
		row[3] = fmt.Sprintf("%.0f", mb(t.sourceBytes)/secs)
		for i := 4; i < len(row); i++ {
			row[i] = "—"
		}
		if !strings.HasPrefix(tr.name, "raw") {
			row[4] = fmt.Sprintf("%.2f", f.cpu.Seconds())
			row[5] = fmt.Sprintf("%.0f", mb(f.rss))
			if f.anon > 0 {
				row[6] = fmt.Sprintf("%.0f", mb(f.anon))
			}
			row[7] = fmt.Sprintf("%.1f", mb(f.out))
		}
		if ref.ok {
			row[8] = fmt.Sprintf("%.2f", secs/ref.wall.Seconds())
		}
		rows = append(rows, row)
		if f.cluster > 0 {
			notes = append(notes, fmt.Sprintf("%s's wall time includes %.2f s registering the partition on its DuckDB catalog.", tr.name, f.cluster.Seconds()))
		}
	}
	return rows, notes
}

// heading is one line about a table.
func (t tableResult) heading() string {
	return fmt.Sprintf("%s rows; binary COPY stream %.1f MB", thousands(t.table.rows), mb(t.sourceBytes))
}

// printText prints every table's figures and the targets, for the terminal.
func (r report) printText(w io.Writer) {
	for _, t := range r.tables {
		fmt.Fprintf(w, "\n%s: ", t.table.name)
		if t.err != nil {
			fmt.Fprintf(w, "not measured: %v\n", t.err)
			continue
		}
		fmt.Fprintf(w, "%s; %s\n", t.heading(), r.medianOf())
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		rows, notes := t.rows()
		for _, row := range append([][]string{columns}, rows...) {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	fmt.Fprintln(w, "\ntargets:")
	for _, c := range r.targets() {
		fmt.Fprintf(w, "  %-5s %s, %s: %s\n", c.verdict, c.target, c.scope, c.figures)
	}
}

// writeMarkdown writes the report to path, replacing it only once it is
// complete.
func (r report) writeMarkdown(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var s strings.Builder
	r.markdown(&s)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(s.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (r report) markdown(w *strings.Builder) {
	i := r.info
	fmt.Fprintf(w, "# lake against its peers\n\n")
	fmt.Fprintf(w, "Written by `make bench-peers` (`cmd/lake-bench`) on %s. Run it again rather than edit this file.\n\n",
		i.date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "| | |\n| --- | --- |\n")
	fmt.Fprintf(w, "| machine | %d cores, %s, %.1f GiB memory; PostgreSQL, LocalStack and the tools share it |\n",
		i.cpus, orUnknown(i.cpuModel), float64(i.memBytes)/(1<<30))
	fmt.Fprintf(w, "| load | load average %s at the start, %s at the end (1, 5, 15 min): other work on the machine widens the min–max spreads |\n",
		orUnknown(i.loadStart), orUnknown(loadAverage()))
	fmt.Fprintf(w, "| lake | %s (`git describe`); `lake version`: %s |\n", orUnknown(i.lake), orUnknown(i.lakeBinary))
	fmt.Fprintf(w, "| PostgreSQL | %s |\n", orUnknown(i.postgres))
	fmt.Fprintf(w, "| DuckDB | %s |\n", orUnknown(i.duckdb))
	cx := i.connectorx
	for _, t := range r.tables {
		for _, tr := range t.tools {
			if tr.name == "connectorx" && tr.unavailable != "" {
				cx = "not installed: " + tr.unavailable
			}
		}
	}
	fmt.Fprintf(w, "| ConnectorX | %s |\n", orUnknown(cx))
	fmt.Fprintf(w, "| pyarrow | %s |\n", orUnknown(i.pyarrow))
	fmt.Fprintf(w, "| Go | %s |\n", i.golang)
	fmt.Fprintf(w, "| settings | %s per tool and table; lake `workers`: %s, `split`: %s |\n\n",
		r.medianOf(), keySetting(r.opts.workers), keySetting(r.opts.split))

	fmt.Fprintf(w, "## What is measured\n\n")
	for _, name := range r.opts.tools {
		fmt.Fprintf(w, "- **%s**: %s.\n", name, toolByName(name).about)
	}
	fmt.Fprintf(w, `
Wall time is from starting the child process to its exit: for lake, loading
lake.yaml, the snapshot, the Parquet files, their verification, the commit
and the registration on the DuckDB catalog that lake.yaml must name (lake
refuses `+"`clusters: []`"+`); for the Python peers, the interpreter's start-up and
imports too. CPU s is the child's user and system CPU time: the tool's own
work, not that of the PostgreSQL backends serving it, which share the same
cores. Peak RSS is the child's `+"`ru_maxrss`"+`, which also counts the pages of
its executable and libraries that it has touched: for lake, whose binary links
DuckDB, tens of MB, the same for any table, more or fewer with what the page
cache holds. Anon MB is the largest anonymous resident memory (`+"`RssAnon`"+` in
`+"`/proc/PID/status`"+`, read every 10 ms while the child runs): the memory the
tool took for its work. Source MB/s is the size of
the table's binary COPY stream divided by the wall time, the same numerator
for every tool. MB are 10^6 bytes. Each run writes into a fresh folder or S3
prefix, removed afterwards. The tables are made once and kept in the
database `+"`%s`"+`; an unmeasured COPY reads each into the page cache first.
`, r.opts.db)

	for _, t := range r.tables {
		fmt.Fprintf(w, "\n## %s\n\n%s. ", t.table.name, t.table.about)
		if t.err != nil {
			fmt.Fprintf(w, "Not measured: %s\n", oneLine(t.err.Error()))
			continue
		}
		fmt.Fprintf(w, "%s.\n\n", t.heading())
		rows, notes := t.rows()
		markdownTable(w, columns, rows, true)
		if len(notes) > 0 {
			fmt.Fprintln(w)
			for _, n := range notes {
				fmt.Fprintf(w, "- %s\n", n)
			}
		}
	}

	fmt.Fprintf(w, "\n## Targets (issue #5)\n\nComputed from the figures above, lake-local being lake.\n\n")
	var rows [][]string
	for _, c := range r.targets() {
		rows = append(rows, []string{c.target, c.scope, c.figures, "**" + c.verdict + "**"})
	}
	markdownTable(w, []string{"target", "table", "figures", "verdict"}, rows, false)
}

// markdownTable writes a pipe table; with numeric, every column but the
// first is aligned right.
func markdownTable(w *strings.Builder, header []string, rows [][]string, numeric bool) {
	fmt.Fprintf(w, "| %s |\n|", strings.Join(header, " | "))
	for i := range header {
		if i > 0 && numeric {
			w.WriteString(" ---: |")
		} else {
			w.WriteString(" --- |")
		}
	}
	w.WriteString("\n")
	for _, row := range rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

// medianOf says what the figures are.
func (r report) medianOf() string {
	if r.opts.reps == 1 {
		return "one run, no median"
	}
	return fmt.Sprintf("median of %d runs", r.opts.reps)
}

func keySetting(n int) string {
	if n == 0 {
		return "not set"
	}
	return strconv.Itoa(n)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// oneLine squeezes an error, which may quote a child's stderr, onto one
// line of a table note.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// thousands formats a count with comma separators: 1,234,567.
var thousands = message.NewPrinter(language.English).Sprint
