package lake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/localstack/testenv"
)

// Two nights of a PostgreSQL orders table, written with small row groups
// into the test S3 warehouse and registered on a real Trino server and on
// DuckDB. Both engines prune what lake writes: a selective predicate on a
// column that grows with insertion order (id) skips the row groups whose
// min/max statistics exclude it, and WHERE ds = '...' on the all-nights
// table reads only that night's files. What each engine read is measured
// independently of the query's answer: Trino's own physical input bytes
// (/v1/query/{id}), and for DuckDB the response bytes its httpfs receives,
// counted by a proxy in front of S3. The answers are checked against
// PostgreSQL, so no row was pruned that should not have been.
func TestPruningOnTrinoAndDuckDB(t *testing.T) {
	trinoURL, _ := testenv.Trino(t)
	srv := testenv.S3(t)
	dsn, conn := newSourceDB(t)
	ctx := context.Background()
	pg := func(q string) string {
		t.Helper()
		var s string
		if err := conn.QueryRow(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	// id and created_at grow with insertion order, as in most production
	// tables. note compresses badly, so that a night is one file of about
	// 11 MB in 25 row groups: Trino reads a Parquet file below 3 MB whole
	// (parquet.small-file-threshold), whatever the query.
	const rows, night2Rows = 300_000, 3_000
	insert := func(from, to int) {
		t.Helper()
		q := fmt.Sprintf(`INSERT INTO orders SELECT i, 1 + (i * 7919) %% 10000,
			(ARRAY['new', 'paid', 'shipped', 'returned'])[1 + i %% 4], round((random() * 100000000)::numeric, 2),
			timestamp '2026-01-01 00:00:00' + i * interval '10 seconds', md5(i::text)
			FROM generate_series(%d::bigint, %d) i`, from, to)
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, status text,
		amount numeric(12,2), created_at timestamp, note text)`); err != nil {
		t.Fatal(err)
	}
	insert(1, rows)

	// lake, and DuckDB's httpfs after it, reach S3 through the proxy;
	// Trino reads S3 directly with its own catalog settings.
	proxy := testenv.NewFaultProxy(t, srv.Endpoint, func(int64) testenv.Fault { return testenv.Pass })
	schema := fmt.Sprintf("p_%012x", rand.Uint64()>>16)
	cfg := writeConfig(t, t.TempDir(), fmt.Sprintf(`
warehouse: %s
s3: {endpoint: %s, path_style: true}
default_schema: %s
max_ds_age: 3650d # the tests replay fixed nights long past
parquet: {row_group_size: 1MiB}
sources:
  pg: {driver: postgres, dsn: %q}
tables:
  - {name: orders, source: pg}
clusters:
  - {name: local, engine: duckdb, path: ./lake.duckdb}
  - {name: trino, engine: trino, url: %q}
`, srv.URL(), proxy.URL, schema, dsn, trinoURL))
	job := newJob(t, cfg)
	if s3, ok := job.Store.(*warehouse.S3); ok {
		t.Cleanup(func() { deleteWarehouse(t, s3) })
	}
	const night1, night2 = "2026-11-20", "2026-11-21"
	if err := run(t, job, night1).Err(); err != nil {
		t.Fatalf("night %s: %v", night1, err)
	}
	insert(rows+1, rows+night2Rows)
	if err := run(t, job, night2).Err(); err != nil {
		t.Fatalf("night %s: %v", night2, err)
	}

	// A thousand ids in the middle of night 1: one or two row groups.
	const lo = rows/2 + 1234
	selective := fmt.Sprintf("id BETWEEN %d AND %d", lo, lo+1000)
	night1Sum := fmt.Sprintf(`SELECT count(*) || '|' || sum(amount) FROM orders WHERE id <= %d`, rows)
	queries := []struct {
		name, where string
		want        string // count|sum, from PostgreSQL
	}{
		{"full scan of one night", "ds = '" + night1 + "'", pg(night1Sum)},
		{"one night, " + selective, "ds = '" + night1 + "' AND " + selective,
			pg(`SELECT count(*) || '|' || sum(amount) FROM orders WHERE ` + selective)},
		{"all nights, ds = " + night2, "ds = '" + night2 + "'",
			pg(`SELECT count(*) || '|' || sum(amount) FROM orders`)},
		// Night 2 holds the rows of night 1 and more.
		{"all nights", "", pg(fmt.Sprintf(`SELECT count(*) + (SELECT count(*) FROM orders WHERE id <= %[1]d) || '|' ||
			sum(amount) + (SELECT sum(amount) FROM orders WHERE id <= %[1]d) FROM orders`, rows))},
	}

	type figure struct{ trino, duck int64 }
	read := make([]figure, len(queries))
	for i, q := range queries {
		sqlText := "SELECT count(*), sum(amount) FROM %s"
		if q.where != "" {
			sqlText += " WHERE " + q.where
		}
		got, n := trinoPhysicalInput(t, trinoURL, fmt.Sprintf(sqlText, "hive."+schema+".orders"))
		if got != q.want {
			t.Errorf("trino: %s: got %s, PostgreSQL says %s", q.name, got, q.want)
		}
		read[i].trino = n

		start := settled(t, proxy)
		got = duckQuery(t, job, fmt.Sprintf(sqlText, "orders"))
		end := settled(t, proxy)
		for _, x := range proxy.Exchanges()[start:end] {
			read[i].duck += x.Received
		}
		if want := strings.ReplaceAll(q.want, "|", ","); got != want {
			t.Errorf("duckdb: %s: got %s, PostgreSQL says %s", q.name, got, want)
		}
		t.Logf("%-40s trino read %9d bytes, duckdb %9d bytes", q.name, read[i].trino, read[i].duck)
	}

	full, sel, one, all := read[0], read[1], read[2], read[3]
	for _, e := range []struct {
		engine                       string
		full, selective, night, both int64
	}{
		{"trino", full.trino, sel.trino, one.trino, all.trino},
		{"duckdb", full.duck, sel.duck, one.duck, all.duck},
	} {
		if e.full == 0 || e.both == 0 {
			t.Errorf("%s: no bytes counted (full scan %d, all nights %d)", e.engine, e.full, e.both)
			continue
		}
		t.Logf("%s: the selective query read %.1f%% of the full scan's bytes; one night %.1f%% of all nights'",
			e.engine, 100*float64(e.selective)/float64(e.full), 100*float64(e.night)/float64(e.both))
		// Min/max statistics: a thousand ids touch one or two of the
		// night's row groups, out of about two dozen.
		if e.selective*5 > e.full {
			t.Errorf("%s: %s read %d bytes, the full scan of the night %d: row groups were not pruned by min/max statistics",
				e.engine, selective, e.selective, e.full)
		}
		// Partitions: the two nights are about the same size.
		if e.night*10 > e.both*6 {
			t.Errorf("%s: WHERE ds = '%s' read %d bytes, all nights %d: partitions were not pruned on ds",
				e.engine, night2, e.night, e.both)
		}
	}
}

// settled waits until the proxy has answered every request it received,
// and returns how many exchanges it has recorded.
func settled(t *testing.T, p *testenv.FaultProxy) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n := len(p.Exchanges())
		if int64(n) == p.Requests.Load() {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("the S3 proxy received %d requests and answered %d", p.Requests.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// trinoPhysicalInput runs q on the Trino server at url through its client
// protocol, and returns the rows (values joined by |, rows by newlines)
// and the bytes Trino read from storage for it: the physical input of the
// query's final statistics.
func trinoPhysicalInput(t *testing.T, url, q string) (string, int64) {
	t.Helper()
	get := func(method, uri, body string, into any) {
		t.Helper()
		req, err := http.NewRequest(method, uri, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Trino-User", "analyst")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s %s: %s", q, method, uri, resp.Status)
		}
		dec := json.NewDecoder(resp.Body)
		dec.UseNumber()
		if err := dec.Decode(into); err != nil {
			t.Fatalf("%s: %s %s: %v", q, method, uri, err)
		}
	}
	type result struct {
		ID      string
		NextURI string
		Data    [][]any
		Error   *struct{ Message string }
	}
	var r result
	get(http.MethodPost, url+"/v1/statement", q, &r)
	var lines []string
	for {
		if r.Error != nil {
			t.Fatalf("trino: %s: %s", q, r.Error.Message)
		}
		for _, row := range r.Data {
			cells := make([]string, len(row))
			for i, v := range row {
				cells[i] = fmt.Sprint(v)
			}
			lines = append(lines, strings.Join(cells, "|"))
		}
		if r.NextURI == "" {
			break
		}
		next := r.NextURI
		r = result{}
		get(http.MethodGet, next, "", &r)
	}
	// The statistics are complete once the query info is final.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var info struct {
			FinalQueryInfo bool
			QueryStats     struct{ PhysicalInputDataSize string }
		}
		get(http.MethodGet, url+"/v1/query/"+r.ID, "", &info)
		if info.FinalQueryInfo {
			n, err := parseDataSize(info.QueryStats.PhysicalInputDataSize)
			if err != nil {
				t.Fatalf("trino: %s: physical input: %v", q, err)
			}
			return strings.Join(lines, "\n"), n
		}
		if time.Now().After(deadline) {
			t.Fatalf("trino: %s: query %s has no final statistics after 10 s", q, r.ID)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var dataSizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(B|kB|MB|GB|TB)$`)

// parseDataSize reads a size as Trino (airlift's DataSize) writes it in
// JSON: "43B", "1.50kB", "12.34MB"; units are powers of 1024.
func parseDataSize(s string) (int64, error) {
	m := dataSizeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a data size", s)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, err
	}
	shift := map[string]uint{"B": 0, "kB": 10, "MB": 20, "GB": 30, "TB": 40}[m[2]]
	return int64(v * float64(int64(1)<<shift)), nil
}
