package lake

import (
	"context"
	"fmt"
	"time"

	"github.com/lake-engine/lake/loaders"
	"github.com/lake-engine/lake/partitions"
)

// importPlan is how tonight's partition of a table is made.
type importPlan struct {
	// mode is partitions.ModeFull, ModeTail or ModeRecent.
	mode string
	// bound splits tail from recent rows (tail and recent modes).
	bound boundary
	// tail is the partition whose tail files a recent import carries.
	tail *partitions.Partition
	// reason says why a tail import runs.
	reason string
}

// boundary is B: recent rows have column >= B, tail rows column < B or NULL.
type boundary struct {
	column string
	// date is B, YYYY-MM-DD.
	date string
	// at is the midnight that starts B in the config's time zone: what
	// timestamp-with-time-zone columns are compared with.
	at time.Time
}

// sourceQuery is what t reads from its source, whole: its table or its
// query, named as the lake table in the loaders' messages.
func (t TableConfig) sourceQuery() loaders.Query {
	return loaders.Query{Name: t.qualifiedName(), Table: t.Table, SQL: t.Query}
}

func (b boundary) query(base loaders.Query, side loaders.Side) loaders.Query {
	q := base
	q.Slice = &loaders.Slice{Column: b.column, Bound: b.at, Side: side}
	return q
}

func (b boundary) manifest(tailDS, reason string) *partitions.Incremental {
	return &partitions.Incremental{Column: b.column, Bound: b.date, BoundAt: b.at, TailDS: tailDS, Reason: reason}
}

// plan decides how to make partition key of table t. A table that is not
// incremental is read in full. An incremental table gets a tail import on
// its tail day, when full is set (lake run --full), and whenever no usable
// tail exists; otherwise a recent import that reuses the latest tail.
//
// A tail is usable when it is the newest tail import before ds, it was made
// on or after the last tail day (so a failed or missing tail day is made up
// for by the next run), and it split the same source query on the same
// column.
func (j *Job) plan(ctx context.Context, sc SourceConfig, t TableConfig, key partitions.Key, base loaders.Query, full bool) (importPlan, error) {
	inc := t.Incremental
	if !inc.Enabled() {
		return importPlan{mode: partitions.ModeFull}, nil
	}
	d, err := ParseDS(key.DS)
	if err != nil {
		return importPlan{}, err
	}
	if full {
		return j.tailPlan(t, key.DS, "--full"), nil
	}
	if time.Weekday(inc.TailDay) == d.Weekday() {
		return j.tailPlan(t, key.DS, "tail day ("+inc.TailDay.String()+")"), nil
	}
	tail, err := partitions.LatestTail(ctx, j.Store, key.Schema, key.Table, key.DS)
	if err != nil {
		return importPlan{}, err
	}
	lastTailDay := lastWeekday(d, time.Weekday(inc.TailDay)).Format(partitions.DateLayout)
	switch {
	case tail == nil:
		return j.tailPlan(t, key.DS, "no tail import yet"), nil
	case tail.Key.DS < lastTailDay:
		return j.tailPlan(t, key.DS, fmt.Sprintf("no tail import since the last tail day %s (the newest is ds=%s)", lastTailDay, tail.Key.DS)), nil
	case tail.Manifest.Incremental == nil || tail.Manifest.Incremental.Column != inc.Column:
		return j.tailPlan(t, key.DS, fmt.Sprintf("the tail of ds=%s was split on another column", tail.Key.DS)), nil
	case tail.Manifest.Source.Name != sc.Name || tail.Manifest.Source.Query != base.Describe():
		return j.tailPlan(t, key.DS, fmt.Sprintf("the tail of ds=%s was read with another source or query", tail.Key.DS)), nil
	}
	mi := tail.Manifest.Incremental
	return importPlan{
		mode:  partitions.ModeRecent,
		bound: boundary{column: inc.Column, date: mi.Bound, at: mi.BoundAt},
		tail:  tail,
	}, nil
}

// tailPlan is a tail import for ds: B = ds - window, at midnight in the
// config's time zone.
func (j *Job) tailPlan(t TableConfig, ds, reason string) importPlan {
	d, _ := ParseDS(ds)
	b := d.AddDate(0, 0, -int(t.Incremental.Window))
	loc := j.Config.Location
	if loc == nil {
		loc = time.UTC
	}
	return importPlan{
		mode: partitions.ModeTail,
		bound: boundary{
			column: t.Incremental.Column,
			date:   b.Format(partitions.DateLayout),
			at:     time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, loc),
		},
		reason: reason,
	}
}

// lastWeekday is the latest day on or before d that is a wd.
func lastWeekday(d time.Time, wd time.Weekday) time.Time {
	back := (int(d.Weekday()) - int(wd) + 7) % 7
	return d.AddDate(0, 0, -back)
}
