package main

import (
	dbsql "database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/sql/duckdb"
)

func newQueryCmd(g *globals) *cobra.Command {
	var asJSON, asCSV bool
	var cluster string
	cmd := &cobra.Command{
		Use:   `query "SQL"`,
		Short: "Run SQL on the DuckDB catalog: tables (with ds) and <table>_latest views",
		Long: `Run SQL on the DuckDB catalog, read-only. Every lake schema is on the search
path, so "SELECT count(*) FROM orders_latest" works as well as dwh.orders_latest.
Reproduce a past number with WHERE ds = 'YYYY-MM-DD' on the table view.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if asJSON && asCSV {
				return configError(fmt.Errorf("--json and --csv: choose one"))
			}
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			c, err := cfg.DuckDBCluster(cluster)
			if err != nil {
				return configError(err)
			}
			var opts []duckdb.Option
			if cfg.IsS3() {
				// The views read s3:// files: DuckDB needs the warehouse's
				// endpoint and credentials.
				store, err := lake.OpenWarehouse(cfg)
				if err != nil {
					return err
				}
				opts = append(opts, duckdb.WithS3(lake.DuckDBS3(store)))
			}
			db, conn, err := duckdb.OpenReadOnly(cmd.Context(), c.Path, opts...)
			if err != nil {
				return err
			}
			defer db.Close()
			defer conn.Close()
			rows, err := conn.QueryContext(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("query: %w", err)
			}
			defer rows.Close()
			out := cmd.OutOrStdout()
			switch {
			case asJSON:
				return printJSONRows(out, rows)
			case asCSV:
				return printCSVRows(out, rows)
			}
			return printTextRows(out, rows)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print rows as a JSON array of objects")
	cmd.Flags().BoolVar(&asCSV, "csv", false, "print rows as CSV with a header")
	cmd.Flags().StringVar(&cluster, "cluster", "", "DuckDB cluster to query (default: the first duckdb cluster)")
	return cmd
}

func printTextRows(w io.Writer, rows *dbsql.Rows) error {
	cols, types, err := duckdb.ColumnsOf(rows)
	if err != nil {
		return err
	}
	tw := newTable(w)
	for i, c := range cols {
		if i > 0 {
			fmt.Fprint(tw, "\t")
		}
		fmt.Fprint(tw, c)
	}
	fmt.Fprintln(tw)
	n := 0
	err = duckdb.EachRow(rows, func(vals []any) error {
		for i, v := range vals {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, duckdb.Text(v, types[i]))
		}
		fmt.Fprintln(tw)
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "(%d rows)\n", n)
	return nil
}

func printCSVRows(w io.Writer, rows *dbsql.Rows) error {
	cols, types, err := duckdb.ColumnsOf(rows)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Write(cols)
	rec := make([]string, len(cols))
	err = duckdb.EachRow(rows, func(vals []any) error {
		for i, v := range vals {
			if v == nil {
				rec[i] = ""
			} else {
				rec[i] = duckdb.Text(v, types[i])
			}
		}
		return cw.Write(rec)
	})
	cw.Flush()
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	return cw.Error()
}

// printJSONRows streams a JSON array of objects, one per row, keyed by
// column name in column order.
func printJSONRows(w io.Writer, rows *dbsql.Rows) error {
	cols, types, err := duckdb.ColumnsOf(rows)
	if err != nil {
		return err
	}
	names := make([][]byte, len(cols))
	for i, c := range cols {
		names[i], _ = json.Marshal(c)
	}
	io.WriteString(w, "[")
	first := true
	err = duckdb.EachRow(rows, func(vals []any) error {
		if !first {
			io.WriteString(w, ",")
		}
		first = false
		io.WriteString(w, "\n  {")
		for i, v := range vals {
			if i > 0 {
				io.WriteString(w, ", ")
			}
			w.Write(names[i])
			io.WriteString(w, ": ")
			b, err := json.Marshal(duckdb.JSONValue(v, types[i]))
			if err != nil {
				return err
			}
			w.Write(b)
		}
		io.WriteString(w, "}")
		return nil
	})
	if err != nil {
		return fmt.Errorf("query: %w", err)
	}
	io.WriteString(w, "\n]\n")
	return nil
}
