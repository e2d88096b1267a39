package views

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/partitions"
)

func partition(t *testing.T, table, ds string, fields ...arrow.Field) partitions.Partition {
	t.Helper()
	m := &partitions.Manifest{Schema: "dwh", Table: table, DS: ds,
		Files: []partitions.File{{Name: "part-r-00000.parquet"}, {Name: "part-r-00001.parquet"}}}
	if err := m.SetSchema(arrow.NewSchema(fields, nil)); err != nil {
		t.Fatal(err)
	}
	return partitions.Partition{Key: m.Key(), Manifest: m}
}

var (
	id      = arrow.Field{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}
	amount  = arrow.Field{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true}
	amount2 = arrow.Field{Name: "amount", Type: &arrow.Decimal128Type{Precision: 14, Scale: 2}, Nullable: true}
	channel = arrow.Field{Name: "channel", Type: arrow.BinaryTypes.String, Nullable: true}
)

func locate(key string) string { return "/w/" + key }

func TestTablesFromPartitions(t *testing.T) {
	cases := []struct {
		name  string
		parts func(t *testing.T) []partitions.Partition
		want  []string // per table: name latest columns files-of-latest
		err   string
	}{
		{
			name: "latest is the newest committed ds",
			parts: func(t *testing.T) []partitions.Partition {
				return []partitions.Partition{partition(t, "orders", "2026-11-20", id), partition(t, "orders", "2026-11-21", id)}
			},
			want: []string{"orders latest=2026-11-21 cols=[id] latest files=[/w/dwh/orders/ds=2026-11-21/part-r-00000.parquet /w/dwh/orders/ds=2026-11-21/part-r-00001.parquet]"},
		},
		{
			name: "a new column comes last and old partitions do not have it",
			parts: func(t *testing.T) []partitions.Partition {
				return []partitions.Partition{partition(t, "orders", "2026-11-20", id, amount), partition(t, "orders", "2026-11-21", channel, id, amount)}
			},
			want: []string{"orders latest=2026-11-21 cols=[id amount channel] latest files=[/w/dwh/orders/ds=2026-11-21/part-r-00000.parquet /w/dwh/orders/ds=2026-11-21/part-r-00001.parquet]"},
		},
		{
			name: "a changed column type leaves the table out with a way forward, others stay",
			parts: func(t *testing.T) []partitions.Partition {
				return []partitions.Partition{
					partition(t, "customers", "2026-11-21", id),
					partition(t, "orders", "2026-11-20", id, amount), partition(t, "orders", "2026-11-21", id, amount2),
				}
			},
			want: []string{"customers latest=2026-11-21 cols=[id] latest files=[/w/dwh/customers/ds=2026-11-21/part-r-00000.parquet /w/dwh/customers/ds=2026-11-21/part-r-00001.parquet]"},
			err:  "dwh.orders: column amount changed type from decimal(12, 2) (ds=2026-11-20) to decimal(14, 2) (ds=2026-11-21)",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tables, errs := Tables(tc.parts(t), locate)
			var got []string
			for _, tb := range tables {
				var cols []string
				for _, c := range tb.Columns {
					cols = append(cols, c.Name)
				}
				got = append(got, fmt.Sprintf("%s latest=%s cols=%v latest files=%v", tb.Name, tb.Latest, cols, tb.LatestPartition().Files))
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("tables:\n got %v\nwant %v", got, tc.want)
			}
			switch {
			case tc.err == "" && len(errs) > 0:
				t.Errorf("unexpected errors %v", errs)
			case tc.err != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.err)):
				t.Errorf("errors %v, want one containing %q", errs, tc.err)
			}
		})
	}
}
