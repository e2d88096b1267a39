package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

// sample is one measurement of one tool copying one table.
type sample struct {
	wall time.Duration
	// rss is the child process's peak resident set in bytes; 0 when the
	// tool ran inside the harness (raw), which has no rusage of its own.
	rss int64
	// anon is the largest anonymous resident memory sampled while the
	// child ran (see anonSampler); 0 where /proc cannot tell.
	anon int64
	// cpu is the child process's user and system CPU time: the tool's own
	// work, not the PostgreSQL backends serving it; 0 when it ran inside
	// the harness.
	cpu time.Duration
	// out is the bytes the tool wrote: its Parquet files.
	out  int64
	rows int64
	// cluster is, for lake, the part of wall spent registering on its
	// DuckDB catalog (lake requires a cluster), from its run report.
	cluster time.Duration
}

// child is a finished child process.
type child struct {
	wall   time.Duration
	rss    int64
	anon   int64
	cpu    time.Duration
	stdout []byte
}

// runChild runs cmd to its end and measures its wall time, peak RSS,
// peak anonymous memory and CPU time.
// Output is kept in memory: the tools print a small JSON report on stdout,
// and stderr is only shown when they fail.
func runChild(cmd *exec.Cmd) (child, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	var anon int64
	if err == nil {
		sampler := sampleAnon(cmd.Process.Pid)
		err = cmd.Wait()
		anon = sampler.stop()
	}
	c := child{wall: time.Since(start), anon: anon, stdout: stdout.Bytes()}
	if err != nil {
		return c, fmt.Errorf("%s: %w: %s", cmd.Args[0], err, tail(stderr.Bytes()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		// ru_maxrss is in KiB on Linux and in bytes on macOS.
		c.rss = ru.Maxrss
		if runtime.GOOS != "darwin" {
			c.rss *= 1024
		}
		c.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return c, nil
}

// tail is the end of a child's stderr, enough to say why it failed.
func tail(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, "\n")
}

// median of the values; the mean of the middle two for an even count.
func median[T int64 | time.Duration](values []T) T {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// countingWriter counts the bytes written to it and drops them.
type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}
