package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"

	"github.com/jackc/pgx/v5"
)

// fillLineitem makes TPC-H lineitem at scale factor 1: DuckDB's dbgen in a
// child process writes it as CSV, streamed into COPY ... FROM STDIN (no
// temporary file of 750 MB). The column types are the TPC-H ones a
// PostgreSQL user would declare, not DuckDB's (it makes every key a BIGINT
// and every string a VARCHAR), so that lake reads what such a table holds.
func fillLineitem(ctx context.Context, b *bench, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, `CREATE TABLE lineitem (
		l_orderkey integer NOT NULL,
		l_partkey integer NOT NULL,
		l_suppkey integer NOT NULL,
		l_linenumber integer NOT NULL,
		l_quantity numeric(15,2) NOT NULL,
		l_extendedprice numeric(15,2) NOT NULL,
		l_discount numeric(15,2) NOT NULL,
		l_tax numeric(15,2) NOT NULL,
		l_returnflag char(1) NOT NULL,
		l_linestatus char(1) NOT NULL,
		l_shipdate date NOT NULL,
		l_commitdate date NOT NULL,
		l_receiptdate date NOT NULL,
		l_shipinstruct varchar(25) NOT NULL,
		l_shipmode varchar(10) NOT NULL,
		l_comment varchar(44) NOT NULL)`); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, b.env.python, "-c", tpchLineitemPy, b.env.extensionDir, "1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	csv, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start DuckDB's dbgen: %w", err)
	}
	tag, copyErr := conn.PgConn().CopyFrom(ctx, csv, "COPY lineitem FROM STDIN (FORMAT csv)")
	if copyErr != nil {
		// The generator would block on a pipe nobody reads.
		_ = cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	if copyErr != nil {
		return fmt.Errorf("COPY lineitem FROM STDIN: %w", copyErr)
	}
	if waitErr != nil {
		return fmt.Errorf("DuckDB's dbgen: %w: %s", waitErr, tail(stderr.Bytes()))
	}
	if tag.RowsAffected() != lineitemRows {
		return fmt.Errorf("dbgen wrote %d lineitem rows; expected %d at scale factor 1", tag.RowsAffected(), lineitemRows)
	}
	// Added after the load, as a bulk load does: building the index once is
	// faster than maintaining it row by row.
	_, err = conn.Exec(ctx, "ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)")
	return err
}
