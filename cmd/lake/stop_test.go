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
	"path/filepath"
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
	var logs []map[string]any
	signalled := false
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			continue // lake's own "lake: ..." line at exit
		}
		logs = append(logs, l)
		if rows, _ := l["rows"].(float64); !signalled && l["msg"] == "reading" && l["table"] == "dwh.orders" && rows > 0 {
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			signalled = true
		}
	}
	err = cmd.Wait()
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
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("run report: %v\n%s", err, stdout.String())
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
	cfgPath := filepath.Join(dir, "lake.yaml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, fmt.Sprintf("  - {name: hung, engine: trino, url: \"http://%s\"}\n", ln.Addr())...)
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(lakeBin, "--log-format", "json", "run", "--ds", "2024-02-01", "--progress", "10ms")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LAKE_CONFIG=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		first  bool
		second time.Time
	)
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var l map[string]any
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		rows, _ := l["rows"].(float64)
		switch {
		case l["msg"] == "reading" && l["table"] == "dwh.orders" && rows > 0 && !first:
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			first = true
		case first && strings.Contains(fmt.Sprint(l["msg"]), "bringing the clusters up to date"):
			// The sync with the silent cluster is under way.
			time.Sleep(500 * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			second = time.Now()
		}
	}
	err = cmd.Wait()
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
