package lake

import (
	"context"
	"time"
)

// SourceCheck is the result of connecting to one source.
type SourceCheck struct {
	Source  string
	Driver  string
	DSN     string // redacted
	Tables  []TableConfig
	Elapsed time.Duration
	Err     error
}

// CheckSources connects to every source that a table uses and opens a
// snapshot on it, the way a run would, without reading any table.
func CheckSources(ctx context.Context, cfg *Config) []SourceCheck {
	var out []SourceCheck
	for _, g := range bySource(cfg.Tables) {
		sc := cfg.Sources[g.tables[0].Source]
		start := time.Now()
		chk := SourceCheck{Source: sc.Name, Driver: sc.Driver, DSN: RedactDSN(sc.DSN), Tables: g.tables}
		src, err := OpenSource(ctx, sc)
		if err == nil {
			var snap interface{ Close() error }
			snap, err = src.Snapshot(ctx)
			if err == nil {
				snap.Close()
			}
			src.Close()
		}
		chk.Elapsed, chk.Err = time.Since(start), err
		out = append(out, chk)
	}
	return out
}
