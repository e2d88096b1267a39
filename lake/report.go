package lake

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
)

// Status of one table in a run.
const (
	StatusCommitted = "committed" // a new partition was committed
	StatusSkipped   = "skipped"   // the partition was already committed (by an earlier or a concurrent run)
	StatusFailed    = "failed"    // nothing was committed; yesterday's partition stays the latest
)

// TableResult is what happened to one table in a run.
type TableResult struct {
	Table  string `json:"table"` // schema.table
	DS     string `json:"ds"`
	Status string `json:"status"`
	// Mode is the partition's mode: full, tail or recent.
	Mode string `json:"mode,omitempty"`
	// Rows is the partition's rows; RowsRead those read from the source
	// tonight (fewer in recent mode, whose tail files are carried).
	Rows     int64   `json:"rows"`
	RowsRead int64   `json:"rows_read"`
	Bytes    int64   `json:"bytes"`
	Files    int     `json:"files"`
	Seconds  float64 `json:"seconds"`
	// Message says why a table was skipped or failed.
	Message string `json:"message,omitempty"`
}

// ClusterResult is what happened to one cluster in a run or sync.
type ClusterResult struct {
	Cluster string  `json:"cluster"`
	Status  string  `json:"status"` // "ok" or "failed"
	Seconds float64 `json:"seconds"`
	Message string  `json:"message,omitempty"`
}

// Report is the record of one run. It is written to the warehouse under
// _runs/, so that "why did last night fail" has one answer in one place.
type Report struct {
	RunID       string          `json:"run_id"`
	DS          string          `json:"ds"`
	ToolVersion string          `json:"tool_version"`
	Warehouse   string          `json:"warehouse"`
	Started     time.Time       `json:"started"`
	Finished    time.Time       `json:"finished"`
	Tables      []TableResult   `json:"tables"`
	Clusters    []ClusterResult `json:"clusters"`
}

// Failures names every table and cluster that failed.
func (r *Report) Failures() []string {
	var out []string
	for _, t := range r.Tables {
		if t.Status == StatusFailed {
			out = append(out, "table "+t.Table)
		}
	}
	for _, c := range r.Clusters {
		if c.Status != "ok" {
			out = append(out, "cluster "+c.Cluster)
		}
	}
	return out
}

// Err returns an error naming what failed, or nil.
func (r *Report) Err() error {
	f := r.Failures()
	if len(f) == 0 {
		return nil
	}
	return fmt.Errorf("run %s ds=%s: %d failed: %s (report: _runs/%s)", r.RunID, r.DS, len(f), strings.Join(f, ", "), r.key())
}

func (r *Report) key() string { return "ds=" + r.DS + "/" + r.RunID + ".json" }

// save writes the report to <warehouse>/_runs/ds=<ds>/<run>.json.
func (r *Report) save(ctx context.Context, store warehouse.Store) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return warehouse.Put(ctx, store, "_runs/"+r.key(), append(data, '\n'))
}

func sortResults(rs []TableResult) {
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Table < rs[j].Table })
}
