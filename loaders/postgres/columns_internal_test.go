package postgres

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgtype"
)

// Columns collected in Go slices must give the arrays Arrow's own builders
// give for the same values: batches of random sizes, NULLs first, last,
// everywhere or nowhere (the validity bitmap is made at a batch's first
// NULL), values that are transformed (jsonb) and empty ones.
func TestColumnsMatchArrowBuilders(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	mem := memory.NewGoAllocator()
	int4 := scalarTypes[pgtype.Int4OID](-1)
	jsonb := scalarTypes[pgtype.JSONBOID](-1)
	cols := []column{newColumn(int4, mem, 10), newColumn(jsonb, mem, 10)}
	for batch := range 40 {
		rows := rng.IntN(300)
		nullRate := []int{0, 1, 2, 10, 100}[batch%5] // percent
		want := []array.Builder{array.NewInt32Builder(mem), array.NewStringBuilder(mem)}
		for r := range rows {
			null := rng.IntN(100) < nullRate || (batch%7 == 3 && r == rows-1)
			if null {
				for i, c := range cols {
					c.appendNull()
					want[i].AppendNull()
				}
				continue
			}
			n := rng.Int32()
			if err := cols[0].appendValue(binary.BigEndian.AppendUint32(nil, uint32(n))); err != nil {
				t.Fatal(err)
			}
			want[0].(*array.Int32Builder).Append(n)
			text := fmt.Sprintf(`{"n": %d}`, n)
			if r%5 == 0 {
				text = ""
			}
			if err := cols[1].appendValue(append([]byte{1}, text...)); err != nil {
				t.Fatal(err)
			}
			want[1].(*array.StringBuilder).Append(text)
		}
		for i, c := range cols {
			got := c.array(rng.IntN(100))
			exp := want[i].NewArray()
			if !array.Equal(got, exp) || got.NullN() != exp.NullN() {
				t.Fatalf("batch %d (%d rows, %d%% NULL), column %d:\ngot  %v\nwant %v", batch, rows, nullRate, i, got, exp)
			}
			got.Release()
			exp.Release()
			want[i].Release()
		}
	}
	if err := cols[1].appendValue([]byte{2, 'x'}); err == nil {
		t.Error("a jsonb value of version 2 was accepted")
	}
}
