package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// checkNotRewritten fails a read of table when the table, or one of its
// partitions or inheritance children, was rewritten or dropped after the
// snapshot began and the snapshot no longer sees its rows. TRUNCATE, a
// rewriting ALTER TABLE (a column's type changed, say) and pg_repack give
// a table a new file whose rows were all written by a transaction newer
// than the snapshot, so the snapshot sees it empty: PostgreSQL's
// documented exception to MVCC. Committing that read would publish a
// table, or a partition of it, as empty.
//
// A rewrite is a new file: the table's file number in the catalog as the
// snapshot sees it differs from the current one (pg_relation_filenode
// reads the relation cache, which is always current; NULL once dropped).
// VACUUM FULL and CLUSTER make a new file too but keep the rows as the
// snapshot saw them, so a rewritten table fails the read only if the
// snapshot sees no row of it (an empty table VACUUM FULLed meanwhile
// fails too: the snapshot cannot tell it from a truncated one). The read's
// locks, held until its savepoint ends, keep what it read from being
// rewritten again meanwhile.
func (sn *Snapshot) checkNotRewritten(ctx context.Context, table string) error {
	quoted, err := quoteTable(table)
	if err != nil {
		return err
	}
	rows, err := sn.conn.Query(ctx, `
		WITH RECURSIVE rels(oid) AS (
			SELECT $1::regclass::oid
			UNION
			SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN rels r ON i.inhparent = r.oid)
		SELECT n.nspname, c.relname, pg_catalog.pg_relation_filenode(c.oid) IS NULL
		  FROM rels
		  JOIN pg_catalog.pg_class c USING (oid)
		  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		 WHERE c.relfilenode <> 0 AND c.relfilenode IS DISTINCT FROM pg_catalog.pg_relation_filenode(c.oid)`, quoted)
	if err != nil {
		return fmt.Errorf("check for a rewrite since the snapshot: %w", err)
	}
	type rel struct {
		name    pgx.Identifier
		dropped bool
	}
	var changed []rel
	for rows.Next() {
		var r rel
		var schema, name string
		if err := rows.Scan(&schema, &name, &r.dropped); err != nil {
			return fmt.Errorf("check for a rewrite since the snapshot: %w", err)
		}
		r.name = pgx.Identifier{schema, name}
		changed = append(changed, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check for a rewrite since the snapshot: %w", err)
	}
	var lost []string
	for _, r := range changed {
		if r.dropped {
			lost = append(lost, r.name.Sanitize()+" (dropped)")
			continue
		}
		var visible bool
		if err := sn.conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM ONLY "+r.name.Sanitize()+")").Scan(&visible); err != nil {
			return fmt.Errorf("check for a rewrite since the snapshot: %w", err)
		}
		if !visible {
			lost = append(lost, r.name.Sanitize())
		}
	}
	if len(lost) > 0 {
		return fmt.Errorf("%s changed after the snapshot began (TRUNCATE, an ALTER TABLE that rewrites it, pg_repack, "+
			"or a DROP), so the snapshot no longer sees its rows: not committed; a later run reads it in a new snapshot",
			strings.Join(lost, ", "))
	}
	return nil
}
