package presto_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/sql/presto"
)

// The protocol loop (POST, follow nextUri, pages of data, errors, session
// and catalog headers) runs against a real Trino server, which speaks the
// same protocol as prestodb with X-Trino-* instead of X-Presto-* headers.
func TestProtocolAgainstARealTrinoServer(t *testing.T) {
	url, _ := testenv.Trino(t)
	ctx := context.Background()
	c, err := presto.Open(presto.Config{URL: url, User: "ana", Catalog: "hive", HeaderPrefix: "X-Trino-",
		Session: map[string]string{"query_max_run_time": "7m", "join_distribution_type": "BROADCAST"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, q, want string
	}{
		{"values of every kind as text, NULL as empty",
			`SELECT 42, 'Zoë 日本', CAST(NULL AS varchar), true, DECIMAL '12345678901234567890.123456789', ARRAY[1, NULL, 3], DATE '1969-07-20'`,
			`42|Zoë 日本||true|12345678901234567890.123456789|[1,null,3]|1969-07-20`},
		{"the user header names who runs the query", `SELECT current_user`, `ana`},
		{"the catalog header resolves unqualified names", `SELECT count(*) > 0 FROM information_schema.schemata WHERE schema_name = 'information_schema'`, `true`},
		{"session properties are sent", `SHOW SESSION LIKE 'query_max_run_time'`, `query_max_run_time|7m|100.00d|varchar|Maximum run time of a query (includes the queueing time)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := c.Query(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, r := range rows {
				lines = append(lines, strings.Join(r, "|"))
			}
			if got := strings.Join(lines, "\n"); got != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("many rows come back whole", func(t *testing.T) {
		rows, err := c.Query(ctx, `SELECT a * 1000 + b FROM UNNEST(sequence(0, 19)) x(a) CROSS JOIN UNNEST(sequence(1, 1000)) y(b) ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 20000 || rows[19999][0] != "20000" {
			t.Errorf("got %d rows", len(rows))
		}
	})
	t.Run("a failed query is an Error with its name", func(t *testing.T) {
		_, err := c.Query(ctx, `SELEC 1`)
		var pe *presto.Error
		if !errors.As(err, &pe) || pe.Name != "SYNTAX_ERROR" {
			t.Fatalf("got %v", err)
		}
	})
}

// The header prefix is the one difference from Trino's protocol: Trino
// refuses a query whose user comes in an X-Presto-User header, so a passing
// test above is not Trino accepting any header.
func TestTrinoRefusesPrestoHeaders(t *testing.T) {
	url, _ := testenv.Trino(t)
	c, err := presto.Open(presto.Config{URL: url, User: "ana"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Query(context.Background(), `SELECT 1`)
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "X-Trino-User must be sent") {
		t.Fatalf("got %v", err)
	}
}

func TestOpenRefusesBadURLsAndPasswordsOverHTTP(t *testing.T) {
	for _, cfg := range []presto.Config{
		{URL: "presto:8080"},
		{URL: "ftp://presto:8080"},
		{URL: "http://presto:8080", Password: "s3cret"},
	} {
		_, err := presto.Open(cfg)
		if err == nil {
			t.Errorf("%+v: no error", cfg.URL)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
