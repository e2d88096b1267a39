package partitions

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
)

// StaleAfter is how old an attempt must be before a run on another host
// may sweep it: lake cannot see whether a process on another host is alive.
const StaleAfter = 24 * time.Hour

// orphanAfter is how old attempt files without an owner record must be
// before they are swept. Begin writes the owner first and Abort removes it
// last, so such files are rare leftovers (a sweep interrupted half-way).
const orphanAfter = time.Hour

// Sweep removes the attempts of one table whose owner is gone: a process on
// this host that no longer runs, or any attempt older than StaleAfter; and,
// on a store without rename, the files dead committers left in partition
// folders, and their claims. It returns what it removed. Files a committed
// partition's manifest lists are never touched.
func Sweep(ctx context.Context, store warehouse.Store, schema, table string, now time.Time) ([]string, error) {
	prefix := Key{Schema: schema, Table: table}.TablePrefix() + attemptsDir + "/"
	if ts, ok := store.(warehouse.TempSweeper); ok {
		// A writer killed mid-write leaves a temporary file no listing shows.
		if err := ts.SweepTemp(ctx, prefix); err != nil {
			return nil, err
		}
	}
	entries, err := store.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	owners := map[string]bool{}      // attempt name → has owner record
	newest := map[string]time.Time{} // attempt name → newest file time
	for _, e := range entries {
		rest := strings.TrimPrefix(e.Key, prefix)
		if name, ok := strings.CutSuffix(rest, ".json"); ok && !strings.Contains(name, "/") {
			owners[name] = true
			continue
		}
		name, _, _ := strings.Cut(rest, "/")
		if e.ModTime.After(newest[name]) {
			newest[name] = e.ModTime
		}
	}
	var removed []string
	for name := range owners {
		o, err := readOwner(ctx, store, prefix+name+".json")
		if err != nil {
			continue // unreadable: being written right now, or damaged; age decides next time
		}
		dead := now.Sub(o.Started) > StaleAfter || (o.Host == host && !warehouse.ProcessAlive(o.PID))
		if !dead {
			delete(newest, name)
			continue
		}
		if err := store.Delete(ctx, prefix+name+"/"); err != nil {
			return removed, err
		}
		if err := store.Delete(ctx, prefix+name+".json"); err != nil {
			return removed, err
		}
		delete(newest, name)
		removed = append(removed, name)
	}
	for name, t := range newest {
		if now.Sub(t) > orphanAfter {
			if err := store.Delete(ctx, prefix+name+"/"); err != nil {
				return removed, err
			}
			removed = append(removed, name)
		}
	}
	// On a store without rename, a committer that died holding a claim
	// may have left files in a partition folder.
	strays, err := sweepClaims(ctx, store, schema, table, "sweep-"+now.UTC().Format("20060102T150405Z"))
	return append(removed, strays...), err
}

func readOwner(ctx context.Context, store warehouse.Store, key string) (*Owner, error) {
	obj, err := store.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, err
	}
	var o Owner
	if err := json.Unmarshal(data, &o); err != nil {
		return nil, err
	}
	return &o, nil
}
