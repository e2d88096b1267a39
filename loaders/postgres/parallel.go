package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/lake-engine/lake/loaders"
)

var (
	_ loaders.Joiner   = (*Snapshot)(nil)
	_ loaders.Splitter = (*Snapshot)(nil)
)

// snapshotIDRE is the shape of pg_export_snapshot's result
// ("00000003-0000001B-1"): checked before it is put into SQL text, since SET
// TRANSACTION SNAPSHOT takes no parameters.
var snapshotIDRE = regexp.MustCompile(`^[0-9A-Fa-f-]+$`)

// Join opens another connection in this snapshot: the first Join exports
// the snapshot (pg_export_snapshot), and every joined connection begins a
// REPEATABLE READ, READ ONLY transaction that imports it (SET TRANSACTION
// SNAPSHOT), as pg_dump --jobs does. The export is valid while this
// snapshot's transaction is open, so close this snapshot last.
func (sn *Snapshot) Join(ctx context.Context) (loaders.Snapshot, error) {
	if sn.conn == nil {
		return nil, errors.New("join snapshot: snapshot is closed")
	}
	if sn.exported == "" {
		// Not in a savepoint: an export belongs to the top transaction.
		if err := sn.conn.QueryRow(ctx, "SELECT pg_export_snapshot()").Scan(&sn.exported); err != nil {
			return nil, fmt.Errorf("export snapshot: %w", err)
		}
		if !snapshotIDRE.MatchString(sn.exported) {
			return nil, fmt.Errorf("export snapshot: unexpected snapshot id %q", sn.exported)
		}
	}
	conn, err := sn.source.connect(ctx)
	if err != nil {
		return nil, err
	}
	for _, stmt := range sn.source.begin("SET TRANSACTION SNAPSHOT '" + sn.exported + "'") {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			conn.Close(context.WithoutCancel(ctx))
			return nil, fmt.Errorf("join snapshot %s: %w", sn.exported, err)
		}
	}
	return &Snapshot{conn: conn, mem: sn.mem, types: typeResolver{conn: conn}, source: sn.source, exported: sn.exported}, nil
}

// minSplitVersion is the first PostgreSQL whose planner reads a ctid range
// with a TID Range Scan; before it, each range would scan the whole table.
const minSplitVersion = 140000

// maxChunksPerRange bounds the chunks of one range: a tiny ChunkBytes on
// a huge table makes bigger chunks rather than a plan of millions.
const maxChunksPerRange = 4096

// Split divides a table into o.Ranges ranges of its heap pages, read by
// "ctid >= '(first,0)' AND ctid < '(last,0)'", fewer if the heap holds
// less than that many ranges of o.MinRangeBytes, and each range into
// chunks of o.ChunkBytes. The ranges are planned from the table's size
// now; the last chunk of the last range is open-ended, so pages added
// since are still read, and rows visible to the snapshot never move (an
// update writes a new version; the old one stays where it is while a
// snapshot can see it). A SELECT, a view or a partitioned table is not
// split.
func (sn *Snapshot) Split(ctx context.Context, q loaders.Query, o loaders.SplitOptions) ([][]loaders.Query, string, error) {
	one := [][]loaders.Query{{q}}
	n := o.Ranges
	if n < 2 {
		return one, "", nil
	}
	if err := q.Check(); err != nil {
		return nil, "", err
	}
	if q.Blocks != nil {
		return nil, "", fmt.Errorf("split %s: the query is already a block range", queryName(q))
	}
	if q.Table == "" {
		return one, "a SELECT cannot be split into block ranges; read a table instead", nil
	}
	table, err := quoteTable(q.Table)
	if err != nil {
		return nil, "", err
	}
	var (
		version     string
		kind        string
		size, block int64
	)
	err = sn.savepoint(ctx, "split "+queryName(q), func() error {
		if err := sn.conn.QueryRow(ctx, "SELECT current_setting('server_version_num')").Scan(&version); err != nil {
			return err
		}
		return sn.conn.QueryRow(ctx,
			`SELECT relkind::text, pg_relation_size(oid), current_setting('block_size')::bigint
			   FROM pg_catalog.pg_class WHERE oid = $1::regclass`, table).Scan(&kind, &size, &block)
	})
	if err != nil {
		return nil, "", fmt.Errorf("split %s: %w", queryName(q), err)
	}
	if v, _ := strconv.Atoi(version); v < minSplitVersion {
		return one, fmt.Sprintf("PostgreSQL %s has no TID range scans (14 or later has)", version), nil
	}
	switch kind {
	case "r", "m":
	case "p":
		return one, "a partitioned table is not split; list its partitions as tables to read them in parallel", nil
	default:
		return one, "only a table or materialized view can be split into block ranges", nil
	}
	if o.MinRangeBytes > 0 {
		if n = int(min(int64(n), size/o.MinRangeBytes)); n < 2 {
			return one, fmt.Sprintf("the table's %d bytes of pages make fewer than 2 ranges of %d bytes", size, o.MinRangeBytes), nil
		}
	}
	pages := size / block
	n = int(min(int64(n), pages))
	if n < 2 {
		return one, fmt.Sprintf("the table has %d pages", pages), nil
	}
	per := (pages + int64(n) - 1) / int64(n)
	chunk := per
	if o.ChunkBytes > 0 {
		chunk = max(1, o.ChunkBytes/block, (per+maxChunksPerRange-1)/maxChunksPerRange)
	}
	ranges := make([][]loaders.Query, 0, n)
	for first := int64(0); first < pages; first += per {
		end := min(first+per, pages)
		var chunks []loaders.Query
		for c := first; c < end; c += chunk {
			part := q
			part.Blocks = &loaders.BlockRange{First: c, Last: min(c+chunk, end)}
			chunks = append(chunks, part)
		}
		ranges = append(ranges, chunks)
	}
	last := ranges[len(ranges)-1]
	last[len(last)-1].Blocks.Last = 0
	return ranges, "", nil
}
