package mysql_test

import (
	"context"
	"fmt"
	"testing"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/lake-engine/lake/loaders"
)

// EstimateRows gives the server's TABLE_ROWS of a table, in the
// connection's database or another one; nothing for a view, a SELECT or a
// table that is not there.
func TestEstimateRows(t *testing.T) {
	dsn, admin := testDB(t)
	cfg, err := mysqldrv.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, admin, "CREATE TABLE `Big Orders` (id int PRIMARY KEY)")
	exec(t, admin, "INSERT INTO `Big Orders` WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99) "+
		"SELECT a.i * 100 + b.i + 1 FROM n AS a, n AS b WHERE a.i < 50") // 5000 rows
	exec(t, admin, "ANALYZE TABLE `Big Orders`")
	exec(t, admin, "CREATE VIEW v AS SELECT * FROM `Big Orders`")
	snap := snapshot(t, openSource(t, dsn))
	est, ok := snap.(loaders.RowEstimator)
	if !ok {
		t.Fatal("a MySQL snapshot is not a loaders.RowEstimator")
	}
	ctx := context.Background()
	for _, table := range []string{"Big Orders", cfg.DBName + ".Big Orders"} {
		rows, known, err := est.EstimateRows(ctx, loaders.Query{Name: "o", Table: table})
		// InnoDB estimates from sampled pages.
		if err != nil || !known || rows < 2500 || rows > 10000 {
			t.Errorf("EstimateRows(%s) = %d, %v, %v; want about 5000", table, rows, known, err)
		}
	}
	for _, q := range []loaders.Query{
		{Name: "v", Table: "v"},
		{Name: "s", SQL: "SELECT * FROM `Big Orders`"},
		{Name: "n", Table: "no_such_table"},
		{Name: "n", Table: fmt.Sprintf("%s_other.Big Orders", cfg.DBName)},
	} {
		if rows, known, err := est.EstimateRows(ctx, q); err != nil || known {
			t.Errorf("EstimateRows(%s) = %d, %v, %v; want no estimate and no error", q.Describe(), rows, known, err)
		}
	}
}
