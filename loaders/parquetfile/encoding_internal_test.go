package parquetfile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The dictionary sample keys values by their bytes: two values must get
// the same key exactly when they print the same, for every type lake
// writes, in a slice of an array too (keys start at the slice's offset).
func TestValueKeysTellValuesApart(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	mem := memory.DefaultAllocator
	builders := []array.Builder{
		array.NewInt64Builder(mem),
		array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 15, Scale: 2}),
		array.NewStringBuilder(mem),
		array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary),
		array.NewDate32Builder(mem),
		array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond}),
		array.NewBooleanBuilder(mem),
		array.NewFloat64Builder(mem),
	}
	for range 2000 {
		v := rng.IntN(50)
		for _, b := range builders {
			switch b := b.(type) {
			case *array.Int64Builder:
				b.Append(int64(v))
			case *array.Decimal128Builder:
				b.Append(decimal128.FromI64(int64(v) * 1001))
			case *array.StringBuilder:
				b.Append(fmt.Sprint("s", v))
			case *array.BinaryBuilder:
				b.Append([]byte(fmt.Sprint(v)))
			case *array.Date32Builder:
				b.Append(arrow.Date32(v))
			case *array.TimestampBuilder:
				b.Append(arrow.Timestamp(v * 1e6))
			case *array.BooleanBuilder:
				b.Append(v%2 == 0)
			case *array.Float64Builder:
				b.Append(float64(v) / 3)
			}
		}
	}
	for _, b := range builders {
		whole := b.NewArray()
		col := array.NewSlice(whole, 123, 1800)
		key := valueKey(col)
		for i := 0; i < col.Len(); i += 7 {
			for j := i + 1; j < col.Len(); j += 13 {
				if same, want := key(i) == key(j), col.ValueStr(i) == col.ValueStr(j); same != want {
					t.Fatalf("%s: values %s and %s: same key %v", col.DataType(), col.ValueStr(i), col.ValueStr(j), same)
				}
			}
		}
		col.Release()
		whole.Release()
		b.Release()
	}
}
