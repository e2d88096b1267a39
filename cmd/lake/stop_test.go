package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// SIGTERM in the middle of a read, as the cron line's timeout sends it:
// the table being read fails saying so, the clusters are still brought up
// to date (the warning says so), and lake exits 1 with its run report.
func TestSIGTERMStopsTheRunAndStillSyncsTheClusters(t *testing.T) {
	dir := t.TempDir()
	makeShop(t, dir, 1_000_000)
	var (
		logs      []map[string]any
		signalled bool
	)
	stdout, err := watchRun(t, dir, func(l map[string]any, sigterm func()) {
		logs = append(logs, l)
		if !signalled && readingOrders(l) {
			sigterm()
			signalled = true
		}
	})
	if !signalled {
		t.Fatalf("lake finished before any progress line counted rows; nothing was stopped: %v", err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("lake ended with %v after SIGTERM; want exit code 1", err)
	}
	var rep struct {
		Tables []struct {
			Table, Status, Message string
		}
		Clusters []struct {
			Cluster, Status, Message string
		}
	}
	if err := json.Unmarshal(stdout, &rep); err != nil {
		t.Fatalf("run report: %v\n%s", err, stdout)
	}
	for _, r := range rep.Tables {
		if r.Status != "failed" || !strings.Contains(r.Message, "the run was stopped: terminated signal received") {
			t.Errorf("%s: %s %q; want failed, saying the run was stopped by SIGTERM", r.Table, r.Status, r.Message)
		}
	}
	if len(rep.Clusters) != 1 || rep.Clusters[0].Status != "ok" {
		t.Errorf("clusters after the stop: %+v; want local ok", rep.Clusters)
	}
	warned := false
	for _, l := range logs {
		if l["level"] == "WARN" && strings.Contains(l["msg"].(string), "bringing the clusters up to date") && l["within"] == "30s" {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning that the clusters are synced after the stop; logs: %v", logs)
	}
}

// A second SIGTERM ends lake at once, even while it is bringing the
// clusters up to date after the first: here a cluster that never answers
// (a listener that accepts and says nothing) would hold it for the whole
// grace of 30 seconds.
func TestASecondSIGTERMEndsLakeAtOnce(t *testing.T) {
	dir := t.TempDir()
	makeShop(t, dir, 1_000_000)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(io.Discard, c) // reads the request, never answers
			}()
		}
	}()
	editConfig(t, dir, func(cfg []byte) []byte {
		return append(cfg, fmt.Sprintf("  - {name: hung, engine: trino, url: \"http://%s\"}\n", ln.Addr())...)
	})

	var (
		first  bool
		second time.Time
	)
	_, err = watchRun(t, dir, func(l map[string]any, sigterm func()) {
		switch {
		case !first && readingOrders(l):
			sigterm()
			first = true
		case first && strings.Contains(fmt.Sprint(l["msg"]), "bringing the clusters up to date"):
			// The sync with the silent cluster is under way.
			time.Sleep(500 * time.Millisecond)
			sigterm()
			second = time.Now()
		}
	})
	took := time.Since(second)
	if second.IsZero() {
		t.Fatalf("the second SIGTERM was never sent (lake ended with %v)", err)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("lake ended with %v after the second SIGTERM; want it killed by the signal", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("lake ended with %v after the second SIGTERM; want it killed by the signal", err)
	}
	if took > 5*time.Second {
		t.Errorf("lake took %s to end after the second SIGTERM; want at once", took)
	}
}

// watchRun runs `lake run --json` in dir with a progress line every 10 ms,
// hands each JSON log line to onLog with a function that sends lake
// SIGTERM, and returns the run report lake printed and how it ended.
func watchRun(t *testing.T, dir string, onLog func(l map[string]any, sigterm func())) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(lakeBin, "--log-format", "json", "run", "--ds", "2024-02-01", "--json", "--progress", "10ms")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LAKE_CONFIG=")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sigterm := func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue // lake's own "lake: ..." line at exit
		}
		onLog(l, sigterm)
	}
	err = cmd.Wait()
	return stdout.Bytes(), err
}

// readingOrders says whether l is a progress line of dwh.orders that
// counts rows: the middle of its read.
func readingOrders(l map[string]any) bool {
	rows, _ := l["rows"].(float64)
	return l["msg"] == "reading" && l["table"] == "dwh.orders" && rows > 0
}
