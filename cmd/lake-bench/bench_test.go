package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake"
	"github.com/lake-engine/lake/localstack/testenv"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []int64
		want int64
	}{
		{nil, 0},
		{[]int64{7}, 7},
		{[]int64{9, 1, 5}, 5},
		{[]int64{4, 1, 3, 2}, 2}, // (2+3)/2, truncated
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %d, want %d", tc.in, got, tc.want)
		}
	}
	if got := median([]time.Duration{3 * time.Second, time.Second, 2 * time.Second}); got != 2*time.Second {
		t.Errorf("median of durations = %v, want 2s", got)
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 6001215: "6,001,215", 123456789: "123,456,789"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestPick(t *testing.T) {
	known := []string{"a", "b", "c"}
	if got, err := pick("-x", " c, a ", known); err != nil || !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("pick = %v, %v; want [a c] in the known order", got, err)
	}
	for _, bad := range []string{"", ",", "a,d"} {
		if _, err := pick("-x", bad, known); err == nil {
			t.Errorf("pick(%q) accepted", bad)
		}
	}
}

// TestLakeYAML checks the configs the bench writes against lake's own
// parser, so that a mistake shows here rather than as a failed measurement.
func TestLakeYAML(t *testing.T) {
	table := tableByName("orders_1m")
	for _, tc := range []struct {
		name           string
		workers, split int
		warehouse      string
	}{
		{"local, keys left out", 0, 0, "warehouse: ./warehouse\n"},
		{"s3, workers and split", 2, 2, "warehouse: s3://bucket/prefix\ns3: {endpoint: \"http://127.0.0.1:54566\", path_style: true}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &bench{env: environment{dsn: "postgres://postgres@127.0.0.1:55432/lake_bench?sslmode=disable"}}
			body := b.lakeYAML(tc.warehouse, table, tc.workers, tc.split)
			cfg, err := lake.ParseConfig(filepath.Join(t.TempDir(), "lake.yaml"), []byte(body), func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatalf("lake rejects the bench's config:\n%s\n%v", body, err)
			}
			if len(cfg.Tables) != 1 || cfg.Tables[0].Name != table.name || len(cfg.Clusters) != 1 {
				t.Errorf("config = %+v", cfg)
			}
		})
	}
}

// The rows/s target is checked for lake's defaults and, when it was
// measured, for lake-parallel, each against the fastest peer.
func TestRowsPerSecondTargets(t *testing.T) {
	secs := func(s float64) []sample { return []sample{{wall: time.Duration(s * float64(time.Second))}} }
	table := tableResult{table: benchTable{name: "lineitem", rows: 6_000_000}, tools: []toolResult{
		{name: "raw", samples: secs(16)},
		{name: "raw-parallel", samples: secs(12)},
		{name: "lake-local", samples: secs(20)},
		{name: "lake-parallel", samples: secs(14)},
		{name: "duckdb", samples: secs(15)},
		{name: "connectorx", samples: secs(30)},
	}}
	verdicts := func(tools []string) map[string]string {
		got := map[string]string{}
		for _, c := range (report{opts: options{tools: tools}, tables: []tableResult{table}}).targets() {
			if strings.Contains(c.target, "rows/s") {
				got[c.target] = c.verdict + " " + c.figures
			}
		}
		return got
	}
	got := verdicts([]string{"lake-local", "lake-parallel", "duckdb", "connectorx"})
	want := map[string]string{
		"lake rows/s ≥ fastest peer's":          "MISS lake-local 300,000 rows/s, duckdb 400,000 rows/s (one connection's raw COPY: 375,000 rows/s)",
		"lake-parallel rows/s ≥ fastest peer's": "PASS lake-parallel 428,571 rows/s, duckdb 400,000 rows/s (the same connections' raw COPY: 500,000 rows/s)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("targets = %v, want %v", got, want)
	}
	if got := verdicts([]string{"lake-local", "duckdb"}); len(got) != 1 {
		t.Errorf("without lake-parallel measured, targets = %v, want lake-local's only", got)
	}
}

// The ranges raw-parallel copies cover every page once, the last one
// open-ended, as lake's split reads them.
func TestRangeCopies(t *testing.T) {
	where := func(copies []string) []string {
		var out []string
		for _, c := range copies {
			out = append(out, strings.TrimSuffix(strings.TrimPrefix(c, `COPY (SELECT * FROM "t" WHERE `), ") TO STDOUT (FORMAT binary)"))
		}
		return out
	}
	for _, tc := range []struct {
		pages int64
		n     int
		want  []string
	}{
		{10, 2, []string{"ctid >= '(0,0)' AND ctid < '(5,0)'", "ctid >= '(5,0)'"}},
		{3, 4, []string{"ctid >= '(0,0)' AND ctid < '(1,0)'", "ctid >= '(1,0)' AND ctid < '(2,0)'", "ctid >= '(2,0)'"}},
		{0, 2, []string{"ctid >= '(0,0)'"}},
	} {
		if got := where(rangeCopies(`"t"`, tc.pages, tc.n)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d pages in %d: %q, want %q", tc.pages, tc.n, got, tc.want)
		}
	}
}

func TestRSSAnon(t *testing.T) {
	status := []byte("Name:\tlake\nVmHWM:\t  118420 kB\nVmRSS:\t  101232 kB\nRssAnon:\t   52408 kB\nRssFile:\t   48824 kB\n")
	if got := rssAnon(status); got != 52408*1024 {
		t.Errorf("rssAnon = %d, want %d", got, 52408*1024)
	}
	if got := rssAnon([]byte("Name:\tzombie\nState:\tZ (zombie)\n")); got != 0 {
		t.Errorf("rssAnon of a status without RssAnon = %d, want 0", got)
	}
}

// runChild's sampled anonymous memory sees what a child writes into
// memory, and not more than its peak RSS.
func TestRunChildSamplesAnonymousMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("RssAnon is read from Linux's /proc")
	}
	const size = 64 << 20
	c, err := runChild(exec.Command("python3", "-c",
		fmt.Sprintf("import time; b = b'x' * %d; time.sleep(0.3); print(len(b))", size)))
	if err != nil {
		t.Fatal(err)
	}
	if c.anon < size || c.anon > c.rss {
		t.Errorf("anon %d bytes, rss %d: want at least the %d bytes written, at most the rss", c.anon, c.rss, size)
	}
}

// raw-parallel's connections copy every row once between them, however
// many chunks each takes.
func TestRawParallelCopiesEveryRowOnce(t *testing.T) {
	// About 4.6 MB of heap: some 70 chunks of 64KiB.
	dsn := testenv.NewPostgresDB(t, `CREATE TABLE t (id int, pad text)`,
		`INSERT INTO t SELECT i, repeat('x', 200) FROM generate_series(1, 20000) i`)
	defer func(was int64) { rawChunkBytes = was }(rawChunkBytes)
	rawChunkBytes = 64 << 10
	s, err := copyRawParallel(context.Background(), &bench{env: environment{dsn: dsn}}, benchTable{name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if s.rows != 20000 {
		t.Errorf("raw-parallel copied %d rows, want 20000", s.rows)
	}
	// Each COPY stream is the 19-byte header, per row a 2-byte field count
	// and each field's 4-byte length and value, and the 2-byte trailer.
	if min := int64(20000 * (2 + 4 + 4 + 4 + 200)); s.out < min {
		t.Errorf("raw-parallel counted %d bytes, fewer than the rows' %d", s.out, min)
	}
}
