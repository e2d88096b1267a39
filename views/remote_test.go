package views_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/localstack/testenv"
	"github.com/lake-engine/lake/sql"
	"github.com/lake-engine/lake/sql/trino"
	"github.com/lake-engine/lake/views"
)

// What a Trino cluster holds that lake cannot reconcile is refused with
// an error saying what to do, and nothing is run for that table.
func TestRemoteRefusesWhatItCannotReconcile(t *testing.T) {
	url, _ := testenv.Trino(t)
	srv := testenv.S3(t)
	ctx := context.Background()
	client, err := trino.Open(trino.Config{URL: url, User: "lake", Catalog: "hive"})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	schema := fmt.Sprintf("v_%012x", rand.Uint64()>>16)
	locate := func(key string) string { return srv.URL() + "/" + key }
	d := sql.Trino("hive")
	for _, q := range []string{
		d.CreateSchema(schema, locate(schema+"/")),
		`CREATE TABLE hive.` + schema + `.orders (id varchar, ds varchar) WITH (external_location = '` + locate(schema+"/orders/") +
			`', format = 'PARQUET', partitioned_by = ARRAY['ds'])`,
		`CREATE VIEW hive.` + schema + `.items AS SELECT 1 AS id`,
	} {
		if _, err := client.Query(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	id := sql.Column{Name: "id", Type: arrow.PrimitiveTypes.Int64}
	table := func(name string, cols ...sql.Column) *views.Table {
		return &views.Table{Schema: schema, Name: name, Columns: cols, Latest: "2026-11-20",
			Partitions: []views.Partition{{DS: "2026-11-20"}}}
	}
	cases := []struct {
		name  string
		table *views.Table
		want  []string
	}{
		{"a column of another type on the cluster", table("orders", id),
			[]string{"column id is varchar on cluster t1 but bigint in the warehouse", `DROP TABLE "hive"."` + schema + `"."orders"`, "lake sync --cluster t1"}},
		{"a view where the table should be", table("items", id), []string{"exists on cluster t1 as a view; drop it there"}},
		{"columns that differ only in case", table("users", id, sql.Column{Name: "ID", Type: arrow.PrimitiveTypes.Int32}),
			[]string{"columns id and ID differ only in case"}},
		{"a column named ds", table("events", sql.Column{Name: "DS", Type: arrow.BinaryTypes.String}),
			[]string{"column DS has the name of the partition column"}},
	}
	r := views.NewRemote("t1", d, client, locate)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := r.Plan(ctx, []*views.Table{tc.table})
			if len(steps) != 0 || err == nil {
				t.Fatalf("steps %v, err %v", steps, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	if err := r.Sync(ctx, []*views.Table{cases[0].table}); !errors.Is(err, views.ErrTypeChanged) {
		t.Errorf("sync: %v", err)
	}
	if got, _ := client.Query(ctx, `SELECT data_type FROM hive.information_schema.columns WHERE table_schema = '`+schema+`' AND table_name = 'orders' AND column_name = 'id'`); len(got) != 1 || got[0][0] != "varchar" {
		t.Errorf("the refused table was changed: %v", got)
	}
}
