package sql_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lake-engine/lake/sql"
)

func TestHiveTypesOfEveryLoaderType(t *testing.T) {
	utc := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	local := &arrow.TimestampType{Unit: arrow.Microsecond}
	cases := []struct {
		typ           arrow.DataType
		trino, presto string
	}{
		{arrow.PrimitiveTypes.Int8, "tinyint", "tinyint"},
		{arrow.PrimitiveTypes.Int16, "smallint", "smallint"},
		{arrow.PrimitiveTypes.Int32, "integer", "integer"},
		{arrow.PrimitiveTypes.Int64, "bigint", "bigint"},
		{arrow.PrimitiveTypes.Float32, "real", "real"},
		{arrow.PrimitiveTypes.Float64, "double", "double"},
		{arrow.FixedWidthTypes.Boolean, "boolean", "boolean"},
		{arrow.BinaryTypes.String, "varchar", "varchar"},
		{arrow.BinaryTypes.Binary, "varbinary", "varbinary"},
		{arrow.FixedWidthTypes.Date32, "date", "date"},
		{&arrow.Decimal128Type{Precision: 20, Scale: 0}, "decimal(20,0)", "decimal(20,0)"},
		{&arrow.Decimal128Type{Precision: 38, Scale: 9}, "decimal(38,9)", "decimal(38,9)"},
		{local, "timestamp(6)", "timestamp"},
		{utc, "timestamp(6)", "timestamp"},
		{arrow.ListOf(arrow.BinaryTypes.String), "array(varchar)", "array(varchar)"},
		{arrow.ListOf(&arrow.Decimal128Type{Precision: 10, Scale: 2}), "array(decimal(10,2))", "array(decimal(10,2))"},
	}
	for _, tc := range cases {
		for _, d := range []struct {
			h    sql.Hive
			want string
		}{{sql.Trino("hive"), tc.trino}, {sql.Presto("hive"), tc.presto}} {
			got, err := d.h.Type(tc.typ)
			if err != nil || got != d.want {
				t.Errorf("%s %s: got %q, %v; want %q", d.h.Name(), tc.typ, got, err, d.want)
			}
		}
	}
	if _, err := sql.Trino("hive").Type(arrow.PrimitiveTypes.Uint32); err == nil {
		t.Error("uint32: no error")
	}
}

func TestHiveStatements(t *testing.T) {
	tr, pr := sql.Trino("hive"), sql.Presto("lake")
	cols := []sql.Column{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: `Odd "name"`, Type: arrow.BinaryTypes.String},
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	}
	create, err := tr.CreateTable("dwh", "orders", cols, "s3://b/w/dwh/orders/")
	if err != nil {
		t.Fatal(err)
	}
	add, err := pr.AddColumn("dwh", "orders", cols[1])
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, got, want string }{
		{"trino schema has a location", tr.CreateSchema("dwh", "s3://b/w/dwh/"),
			`CREATE SCHEMA IF NOT EXISTS "hive"."dwh" WITH (location = 's3://b/w/dwh/')`},
		{"presto's file metastore takes no schema location", pr.CreateSchema("dwh", "s3://b/w/dwh/"),
			`CREATE SCHEMA IF NOT EXISTS "lake"."dwh"`},
		{"external parquet table, ds last", create,
			`CREATE TABLE IF NOT EXISTS "hive"."dwh"."orders" ("id" bigint, "Odd ""name""" varchar, "at" timestamp(6), "ds" varchar) ` +
				`WITH (external_location = 's3://b/w/dwh/orders/', format = 'PARQUET', partitioned_by = ARRAY['ds'])`},
		{"add column", add, `ALTER TABLE "lake"."dwh"."orders" ADD COLUMN "Odd ""name""" varchar`},
		{"trino registers each partition at its folder", tr.RegisterPartitions("dwh", "orders", "s3://b/w/dwh/orders/", []string{"2026-11-20"})[0],
			`CALL "hive".system.register_partition(schema_name => 'dwh', table_name => 'orders', partition_columns => ARRAY['ds'], ` +
				`partition_values => ARRAY['2026-11-20'], location => 's3://b/w/dwh/orders/ds=2026-11-20')`},
		{"presto syncs the partition folders", pr.RegisterPartitions("dwh", "orders", "s3://b/w/dwh/orders/", []string{"2026-11-20", "2026-11-21"})[0],
			`CALL "lake".system.sync_partition_metadata('dwh', 'orders', 'ADD')`},
		{"trino view: aliases, zone put back, one ds", tr.CreateLatestView("dwh", "orders_latest", "orders", cols, "2026-11-20"),
			`CREATE OR REPLACE VIEW "hive"."dwh"."orders_latest" AS SELECT "id" AS "id", "Odd ""name""" AS "Odd ""name""", ` +
				`with_timezone("at", 'UTC') AS "at", "ds" AS "ds" FROM "hive"."dwh"."orders" WHERE "ds" = '2026-11-20'`},
		{"literals escape quotes", tr.Literal("it's"), `'it''s'`},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
	if got := pr.RegisterPartitions("dwh", "orders", "s3://b/", nil); len(got) != 0 {
		t.Errorf("no partitions: %v", got)
	}
}
