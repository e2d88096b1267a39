package parquetfile

import (
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// intDict is stringDict for the columns Parquet stores as INT32 or INT64:
// integers, dates, microsecond timestamps and decimals of up to 18 digits.
// arrow-go's memo table costs 35-50 ns a value for them (TPC-H lineitem's
// dates, supplier keys, quantities, discounts and taxes: some 1.6 of 14
// CPU-seconds), and for a decimal pqarrow first converts the column to
// integers and checks every value's precision. intDict does both in one
// pass and finds a value's index in a table indexed by the value itself
// when the row group's values span at most maxDenseSpan (dates, small
// keys, amounts in cents), in a Go map otherwise.
//
// Like stringDict it follows arrow-go's dictionary past the row group's
// first batch (learn, follower).
type intDict[T int32 | int64] struct {
	// values returns a batch's values as Parquet stores them (aligned with
	// the array's offset) and false if they cannot be had that way.
	values func(arr arrow.Array) ([]T, bool)
	// dict is the row group's dictionary, in the encoder's order.
	dict []T
	// slots[v-base] is the index+1 of value v, 0 if v is not in dict;
	// index replaces it once the values span more than maxDenseSpan.
	slots []int32
	base  T
	index map[T]int32
	follower
	ids []int32
}

// maxDenseSpan is the widest range of values looked up by position: a
// table of 256 KiB per column.
const maxDenseSpan = 1 << 16

// newIntDict returns an intDict for a column of Arrow type t stored as
// physical, or nil if the column is written some other way.
func newIntDict(t arrow.DataType, physical parquet.Type) dictWriter {
	switch physical {
	case parquet.Types.Int32:
		switch t.ID() {
		case arrow.INT32, arrow.DATE32:
			return &intDict[int32]{values: fixedWidth[int32]}
		case arrow.DECIMAL128:
			return &intDict[int32]{values: decimals[int32](t.(*arrow.Decimal128Type).Precision)}
		}
	case parquet.Types.Int64:
		switch t.ID() {
		case arrow.INT64:
			return &intDict[int64]{values: fixedWidth[int64]}
		case arrow.TIMESTAMP:
			// Other units are converted to microseconds on the way
			// (pqarrow.WithCoerceTimestamps).
			if t.(*arrow.TimestampType).Unit == arrow.Microsecond {
				return &intDict[int64]{values: fixedWidth[int64]}
			}
		case arrow.DECIMAL128:
			return &intDict[int64]{values: decimals[int64](t.(*arrow.Decimal128Type).Precision)}
		}
	}
	return nil
}

// fixedWidth is the values buffer of an array whose Arrow values are what
// Parquet stores.
func fixedWidth[T int32 | int64](arr arrow.Array) ([]T, bool) {
	data := arr.Data()
	buf := data.Buffers()[1]
	if buf == nil {
		return nil, arr.Len() == 0
	}
	var all []T
	switch any(all).(type) {
	case []int32:
		all = any(arrow.Int32Traits.CastFromBytes(buf.Bytes())).([]T)
	case []int64:
		all = any(arrow.Int64Traits.CastFromBytes(buf.Bytes())).([]T)
	}
	return all[:data.Offset()+data.Len()], true
}

// decimals returns the converter of a decimal column of the given
// precision to the integers it is stored as (the unscaled values). A
// value beyond the precision makes the batch go through pqarrow, which
// reports it.
func decimals[T int32 | int64](precision int32) func(arrow.Array) ([]T, bool) {
	limit := int64(1)
	for range precision {
		limit *= 10
	}
	var scratch []T
	return func(arr arrow.Array) ([]T, bool) {
		d, ok := arr.(*array.Decimal128)
		if !ok {
			return nil, false
		}
		off := d.Data().Offset()
		scratch = grow(scratch, off+d.Len())
		nulls := nullBitmap(arr)
		for i, v := range d.Values() {
			if nulls != nil && !bitutil.BitIsSet(nulls, off+i) {
				continue
			}
			lo := int64(v.LowBits())
			if v.HighBits() != lo>>63 || lo <= -limit || lo >= limit {
				return nil, false
			}
			scratch[off+i] = T(lo)
		}
		return scratch, true
	}
}

func (d *intDict[T]) write(cw file.ColumnChunkWriter, arr arrow.Array, defs []int16) (bool, error) {
	enc, first, ok := d.begin(cw, len(d.dict))
	if !ok {
		return false, nil
	}
	vals, ok := d.values(arr)
	if !ok {
		return false, nil
	}
	off := arr.Data().Offset()
	n := arr.Len()
	lo, hi, nonNull := d.bounds(arr, vals)
	if nonNull > 0 {
		d.cover(lo, hi)
	}
	d.ids = grow(d.ids, off+n)
	nulls := nullBitmap(arr)
	for i, v := range vals[off : off+n] {
		if nulls != nil && !bitutil.BitIsSet(nulls, off+i) {
			d.ids[off+i] = 0
			continue
		}
		id, found := d.lookup(v)
		if !found {
			if !first {
				return false, nil // arrow-go adds it; learn follows
			}
			id = d.add(v)
		}
		d.ids[off+i] = id
	}
	if first {
		if err := putDictionary(enc, d.dictArray()); err != nil {
			return false, err
		}
	}
	if stats := cw.PageStatistics(); stats != nil {
		countValues(stats, defs, nonNull)
		if nonNull > 0 {
			switch s := stats.(type) {
			case *metadata.Int32Statistics:
				s.SetMinMax(int32(lo), int32(hi))
			case *metadata.Int64Statistics:
				s.SetMinMax(int64(lo), int64(hi))
			default:
				return false, fmt.Errorf("%T for an integer column", stats)
			}
		}
	}
	ids := idArray(arr, d.ids)
	defer ids.Release()
	var zero T
	return true, writeIndices(cw, ids, defs, int64(nonNull)*int64(unsafe.Sizeof(zero)))
}

// learn follows arrow-go's dictionary after arr was written through it:
// its memo table gave each value it did not hold the next index, in order
// of first appearance, and so does learn.
func (d *intDict[T]) learn(cw file.ColumnChunkWriter, arr arrow.Array) {
	enc := d.following(cw)
	if enc == nil {
		return
	}
	vals, ok := d.values(arr)
	if !ok {
		d.lost = true
		return
	}
	lo, hi, nonNull := d.bounds(arr, vals)
	if nonNull > 0 {
		d.cover(lo, hi)
	}
	off := arr.Data().Offset()
	nulls := nullBitmap(arr)
	for i, v := range vals[off : off+arr.Len()] {
		if nulls != nil && !bitutil.BitIsSet(nulls, off+i) {
			continue
		}
		if !d.has(v) {
			d.add(v)
		}
	}
	d.check(enc, len(d.dict))
}

// bounds returns the smallest and largest present value of arr and how
// many are present.
func (d *intDict[T]) bounds(arr arrow.Array, vals []T) (lo, hi T, nonNull int) {
	off := arr.Data().Offset()
	vals = vals[off : off+arr.Len()]
	nulls := nullBitmap(arr)
	if nulls == nil {
		if len(vals) == 0 {
			return lo, hi, 0
		}
		lo, hi = vals[0], vals[0]
		for _, v := range vals {
			lo, hi = min(lo, v), max(hi, v)
		}
		return lo, hi, len(vals)
	}
	for i, v := range vals {
		if !bitutil.BitIsSet(nulls, off+i) {
			continue
		}
		if nonNull == 0 {
			lo, hi = v, v
		}
		lo, hi = min(lo, v), max(hi, v)
		nonNull++
	}
	return lo, hi, nonNull
}

// nullBitmap is arr's validity bitmap (bit offset+i for value i), or nil
// if arr has no nulls.
func nullBitmap(arr arrow.Array) []byte {
	if arr.NullN() == 0 {
		return nil
	}
	return arr.NullBitmapBytes()
}

// cover makes the lookup table span lo..hi, or turns to the map when the
// span would be wider than maxDenseSpan.
func (d *intDict[T]) cover(lo, hi T) {
	if d.index != nil {
		return
	}
	if len(d.slots) > 0 {
		top := d.base + T(len(d.slots)-1)
		if lo >= d.base && hi <= top {
			return
		}
		lo, hi = min(lo, d.base), max(hi, top)
	}
	// hi >= lo, so the unsigned difference is exact.
	if span := uint64(hi) - uint64(lo); span >= maxDenseSpan {
		d.index = make(map[T]int32, len(d.dict))
		for id, v := range d.dict {
			d.index[v] = int32(id)
		}
		d.slots = d.slots[:0]
		return
	}
	slots := make([]int32, int(hi-lo)+1)
	if len(d.slots) > 0 {
		copy(slots[d.base-lo:], d.slots)
	}
	d.slots, d.base = slots, lo
}

// lookup returns v's index in the dictionary, if it is there. The lookup
// table covers v (cover).
func (d *intDict[T]) lookup(v T) (int32, bool) {
	if d.index != nil {
		id, ok := d.index[v]
		return id, ok
	}
	s := d.slots[v-d.base]
	return s - 1, s != 0
}

func (d *intDict[T]) has(v T) bool {
	_, ok := d.lookup(v)
	return ok
}

// add appends v, covered and not yet there, to the dictionary.
func (d *intDict[T]) add(v T) int32 {
	id := int32(len(d.dict))
	d.dict = append(d.dict, v)
	if d.index != nil {
		d.index[v] = id
	} else {
		d.slots[v-d.base] = id + 1
	}
	return id
}

// dictArray is the dictionary as the Arrow array of its physical type
// that PutDictionary takes.
func (d *intDict[T]) dictArray() arrow.Array {
	var typ arrow.DataType
	var raw []byte
	switch dict := any(d.dict).(type) {
	case []int32:
		typ, raw = arrow.PrimitiveTypes.Int32, arrow.Int32Traits.CastToBytes(dict)
	case []int64:
		typ, raw = arrow.PrimitiveTypes.Int64, arrow.Int64Traits.CastToBytes(dict)
	}
	data := array.NewData(typ, len(d.dict), []*memory.Buffer{nil, memory.NewBufferBytes(raw)}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// idArray is ids, the dictionary indices of arr's values (at arr's
// offset), as an Int32 array with arr's validity and offset. It borrows
// ids, which the dictionary writes again for its next batch: arrow-go
// copies indices into its encoder and keeps no array.
func idArray(arr arrow.Array, ids []int32) *array.Int32 {
	src := arr.Data()
	data := array.NewData(arrow.PrimitiveTypes.Int32, src.Len(),
		[]*memory.Buffer{src.Buffers()[0], memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(ids))},
		nil, src.NullN(), src.Offset())
	defer data.Release()
	return array.NewInt32Data(data)
}

// reset forgets the dictionary: the next row group makes its own.
func (d *intDict[T]) reset() {
	d.dict = d.dict[:0]
	d.slots = d.slots[:0]
	d.index = nil
	d.follower = follower{}
}

func grow[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}
