package loadertest

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lake-engine/lake/loaders"
)

// Sink keeps every batch it is given, and checks that Begin came first.
type Sink struct {
	Begins  int
	Schema  *arrow.Schema
	Cols    []loaders.Column
	Batches []arrow.RecordBatch
}

var _ loaders.RecordSink = (*Sink)(nil)

func (s *Sink) Begin(schema *arrow.Schema, cols []loaders.Column) error {
	s.Begins++
	s.Schema, s.Cols = schema, cols
	return nil
}

func (s *Sink) Write(rec arrow.RecordBatch) error {
	if s.Begins != 1 {
		return fmt.Errorf("write after %d calls of Begin", s.Begins)
	}
	rec.Retain()
	s.Batches = append(s.Batches, rec)
	return nil
}

// Release releases the kept batches.
func (s *Sink) Release() {
	for _, b := range s.Batches {
		b.Release()
	}
	s.Batches = nil
}

// Rows returns every row of every batch as Go values (see Cell).
func (s *Sink) Rows(t testing.TB) [][]any {
	t.Helper()
	var out [][]any
	for _, b := range s.Batches {
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]any, b.NumCols())
			for c := range row {
				row[c] = Cell(t, b.Column(c), i)
			}
			out = append(out, row)
		}
	}
	return out
}

// Read runs q on snap into a new Sink, released when the test ends.
func Read(t testing.TB, snap loaders.Snapshot, q loaders.Query, opts loaders.ReadOptions) (*Sink, error) {
	t.Helper()
	sink := &Sink{}
	t.Cleanup(sink.Release)
	err := snap.Read(context.Background(), q, opts, sink)
	return sink, err
}

// Cell turns one Arrow value into a Go value that test tables can spell:
// nil for NULL, dates as "2006-01-02", timestamps as UTC
// "2006-01-02 15:04:05.999999", decimals as their decimal text, float NaN as
// "NaN", binary as a copied []byte, lists as []any.
func Cell(t testing.TB, a arrow.Array, i int) any {
	t.Helper()
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Int8:
		return a.Value(i)
	case *array.Int16:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		if math.IsNaN(float64(a.Value(i))) {
			return "NaN"
		}
		return a.Value(i)
	case *array.Float64:
		if math.IsNaN(a.Value(i)) {
			return "NaN"
		}
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return append([]byte{}, a.Value(i)...)
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02")
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC().Format("2006-01-02 15:04:05.999999")
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return DecimalText(a.Value(i).BigInt(), int(scale))
	case *array.List:
		start, end := a.ValueOffsets(i)
		out := []any{}
		for j := start; j < end; j++ {
			out = append(out, Cell(t, a.ListValues(), int(j)))
		}
		return out
	}
	t.Fatalf("no test conversion for %s", a.DataType())
	return nil
}

// DecimalText spells an unscaled decimal with exactly scale digits after
// the point.
func DecimalText(unscaled *big.Int, scale int) string {
	digits := new(big.Int).Abs(unscaled).String()
	sign := ""
	if unscaled.Sign() < 0 {
		sign = "-"
	}
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}
