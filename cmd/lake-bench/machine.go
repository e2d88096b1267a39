package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// machineInfo is what the report says about where and with what it ran:
// figures mean nothing without it.
type machineInfo struct {
	date time.Time
	// loadStart is /proc/loadavg's first three fields when the bench
	// started: figures taken on a busy machine are slower and noisier.
	loadStart string
	cpus      int
	cpuModel  string
	memBytes  int64
	// versions of what was measured, by name; "" when not known.
	lake, lakeBinary, postgres, duckdb, connectorx, pyarrow, golang string
}

// collectInfo gathers machineInfo, and which peers cannot run (a Python
// package that does not import).
func collectInfo(ctx context.Context, b *bench) (machineInfo, map[string]string) {
	info := machineInfo{date: time.Now().UTC(), cpus: runtime.NumCPU(), golang: runtime.Version(), loadStart: loadAverage()}
	info.cpuModel, info.memBytes = cpuAndMemory()
	info.lake = output(ctx, "git", "describe", "--tags", "--always", "--dirty")
	if b.lake != "" {
		info.lakeBinary = output(ctx, b.lake, "version")
	}
	if conn, err := pgx.Connect(ctx, b.env.dsn); err == nil {
		_ = conn.QueryRow(ctx, "SHOW server_version").Scan(&info.postgres)
		conn.Close(ctx)
	}
	unavailable := map[string]string{}
	if b.env.python == "" {
		return info, unavailable
	}
	var versions map[string]string
	if err := json.Unmarshal([]byte(output(ctx, b.env.python, "-c", versionsPy)), &versions); err != nil {
		slog.Warn("could not read the Python peers' versions", "python", b.env.python, "err", err)
	}
	info.duckdb, info.pyarrow, info.connectorx = versions["duckdb"], versions["pyarrow"], versions["connectorx"]
	if why, ok := versions["connectorx_error"]; ok {
		// venv.sh keeps pip's last lines when the install failed: the
		// import error alone would only say "No module named".
		venv := filepath.Dir(filepath.Dir(b.env.python))
		if pip, err := os.ReadFile(filepath.Join(venv, "connectorx-failed.txt")); err == nil {
			why = "pip install failed: " + strings.Join(strings.Fields(string(pip)), " ")
		}
		unavailable["connectorx"] = why
	}
	for _, name := range []string{"duckdb", "pyarrow"} {
		if why, ok := versions[name+"_error"]; ok {
			unavailable["duckdb"] = name + ": " + why
			unavailable["connectorx"] = name + ": " + why
		}
	}
	return info, unavailable
}

// output runs a command and returns its first line of output, or "" if it
// fails: a missing version is shown as unknown, it does not stop the bench.
func output(ctx context.Context, name string, args ...string) string {
	out, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// cpuAndMemory reads the CPU model and the memory size from /proc (Linux);
// elsewhere they are left empty.
func cpuAndMemory() (model string, mem int64) {
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// MemTotal:       24567892 kB
			if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "MemTotal:" {
				kb, _ := strconv.ParseInt(fields[1], 10, 64)
				mem = kb * 1024
				break
			}
		}
		f.Close()
	}
	return model, mem
}

// loadAverage is the 1, 5 and 15 minute load averages from /proc/loadavg,
// or "" where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
