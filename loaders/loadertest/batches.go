package loadertest

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/lake-engine/lake/loaders"
)

// WideQuery returns a query of rows rows of (id, pad): id the integers 1
// to rows in order, pad a text of width bytes.
type WideQuery func(t *testing.T, rows, width int) loaders.Query

// ReadInBatches reads q from snap with opts and checks that its batches
// hold want rows each, in order.
func ReadInBatches(t *testing.T, snap loaders.Snapshot, q loaders.Query, opts loaders.ReadOptions, want []int64) *Sink {
	t.Helper()
	sink, err := Read(t, snap, q, opts)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var sizes []int64
	for _, b := range sink.Batches {
		sizes = append(sizes, b.NumRows())
	}
	if !reflect.DeepEqual(sizes, want) {
		t.Errorf("batch sizes = %v, want %v", sizes, want)
	}
	return sink
}

// CheckBatchBytes checks that a loader ends a batch once its values reach
// ReadOptions.BatchBytes (set, and the default), before BatchRows rows, and
// that no row is cut, lost or reordered on the way.
func CheckBatchBytes(t *testing.T, snap loaders.Snapshot, wide WideQuery) {
	tests := []struct {
		name  string
		width int
		opts  loaders.ReadOptions
		sizes []int64
	}{
		// Three rows of 1,000 bytes pass 2,500 bytes, two do not.
		{"rows of 1000 bytes, batches of 2500", 1000, loaders.ReadOptions{BatchBytes: 2500}, []int64{3, 3, 3, 1}},
		{"the byte limit ends a batch before the row limit", 1000, loaders.ReadOptions{BatchRows: 4, BatchBytes: 1500}, []int64{2, 2, 2, 2, 2}},
		{"the row limit ends a batch before the byte limit", 1000, loaders.ReadOptions{BatchRows: 2, BatchBytes: 1 << 20}, []int64{2, 2, 2, 2, 2}},
		// Four rows of a quarter of the default reach it.
		{"default batch bytes", loaders.DefaultBatchBytes / 4, loaders.ReadOptions{}, []int64{4, 4, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := ReadInBatches(t, snap, wide(t, 10, tt.width), tt.opts, tt.sizes).Rows(t)
			if len(rows) != 10 {
				t.Fatalf("read %d rows, want 10", len(rows))
			}
			for i, r := range rows {
				id, pad := fmt.Sprint(r[0]), r[1].(string)
				if id != fmt.Sprint(i+1) || len(pad) != tt.width {
					t.Fatalf("row %d = (%s, %d bytes), want (%d, %d bytes)", i, id, len(pad), i+1, tt.width)
				}
			}
		})
	}
}
