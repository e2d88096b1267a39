package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// anonInterval is how often anonSampler reads a child's memory: often
// enough to catch the peaks of a run of a few seconds, rarely enough to
// cost the child nothing it would notice.
const anonInterval = 10 * time.Millisecond

// anonSampler follows a child's RssAnon in /proc/PID/status: its resident
// memory without the pages of its executable and libraries. ru_maxrss
// counts those too, and lake's binary, which links DuckDB, brings tens of
// MB of them (more or fewer with what the page cache holds), the same for
// any table: the anonymous peak is the memory a snapshot itself takes.
// Sampled, it can miss a peak shorter than anonInterval.
type anonSampler struct {
	done chan struct{}
	max  chan int64
}

// sampleAnon starts sampling pid until stop; on systems without /proc it
// samples nothing and stop returns 0.
func sampleAnon(pid int) *anonSampler {
	s := &anonSampler{done: make(chan struct{}), max: make(chan int64, 1)}
	path := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		var peak int64
		tick := time.NewTicker(anonInterval)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(path); err == nil {
				peak = max(peak, rssAnon(b))
			}
			select {
			case <-s.done:
				s.max <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// stop ends the sampling and returns the largest RssAnon seen, in bytes.
func (s *anonSampler) stop() int64 {
	close(s.done)
	return <-s.max
}

// rssAnon is the RssAnon line of a /proc/PID/status, in bytes; 0 when it
// has none.
func rssAnon(status []byte) int64 {
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("RssAnon:"))
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}
