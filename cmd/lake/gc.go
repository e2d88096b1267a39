package main

import "runtime/debug"

// gcPercent is the garbage collector's target when the environment does not
// set GOGC: a collection once the heap has grown by half of what is live,
// where Go's default (100) waits until it has doubled.
//
// lake's live heap is small (a few batches, a row group's encoded pages) but
// it allocates batch after batch for the whole night, so its peak RSS was
// mostly garbage not yet collected. Measured with `lake run` on the 2-core
// development machine (two runs each): a 10M-row orders table peaked at
// 144-149 MB with 100 and 132-136 MB with 50, TPC-H lineitem at 276-284 MB
// and 237-240 MB, at the same wall time and, within run-to-run noise, the
// same CPU (with 100 the collector used about 1% of it). Prometheus lowers
// its default the same way.
const gcPercent = 50

// tuneGC sets gcPercent unless getenv("GOGC") is set, which then wins (as
// does GOMEMLIMIT, which the runtime reads itself).
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}
