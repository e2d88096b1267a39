package postgres

import (
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lake-engine/lake/loaders"
)

// column collects one result column's values for a batch and hands them
// over as an Arrow array.
//
// The types read most (integers, floats, dates, timestamps, decimals,
// text, jsonb, bytea) are collected in Go slices that become the array's
// buffers as they are: an Arrow builder's Append checks its capacity,
// updates its length and sets a validity bit for every value, some 20-40
// ns a value, a third of the decoder's time on TPC-H lineitem. Here a
// value is one append to a slice sized for the batch, and the validity
// bitmap is only made in a batch that has a NULL. Other types (booleans,
// lists, numerics kept as text) keep a builder (builderColumn).
type column interface {
	appendValue(v []byte) error
	appendNull()
	// array returns the values appended since the last call, and sizes
	// the column for a next batch of next rows (0: there is none).
	array(next int) arrow.Array
	// release frees what the column holds; it is not used afterwards.
	release()
}

// validity is a batch's validity bitmap, made at its first NULL.
type validity struct {
	bits  []byte // bit i set: value i is present; nil while none is NULL
	nulls int
}

// null records that value i, the batch's i-th, is NULL.
func (v *validity) null(i int) {
	if v.bits == nil {
		v.bits = make([]byte, bitutil.BytesForBits(int64(i+1)), bitutil.BytesForBits(int64(max(i+1, 1024))))
		bitutil.SetBitsTo(v.bits, 0, int64(i), true)
	}
	v.grow(i)
	v.nulls++
}

// present records that value i is present.
func (v *validity) present(i int) {
	if v.bits != nil {
		v.grow(i)
		bitutil.SetBit(v.bits, i)
	}
}

func (v *validity) grow(i int) {
	for i/8 >= len(v.bits) {
		v.bits = append(v.bits, 0)
	}
}

// take returns the bitmap buffer of a batch of n values (nil if none is
// NULL) and starts the next batch.
func (v *validity) take(n int) (*memory.Buffer, int) {
	var buf *memory.Buffer
	if v.bits != nil {
		buf = memory.NewBufferBytes(v.bits[:bitutil.BytesForBits(int64(n))])
	}
	nulls := v.nulls
	*v = validity{}
	return buf, nulls
}

// fixedValue is the Go type of a fixed-width Arrow value.
type fixedValue interface {
	arrow.IntType | arrow.FloatType | decimal128.Num
}

// fixedColumn collects values of a fixed-width type. The column of each
// type embeds it and decodes its values in its own appendValue, rather
// than through a decoder kept in a function value: one call less per
// value, 16 values a row on TPC-H lineitem (BenchmarkDecodeLineitem).
type fixedColumn[T fixedValue] struct {
	typ     arrow.DataType
	vals    []T
	valid   validity
	recycle *recycler
}

func newFixedColumn[T fixedValue](typ arrow.DataType, rows int) fixedColumn[T] {
	c := fixedColumn[T]{typ: typ, recycle: newRecycler()}
	c.reset(rows)
	return c
}

// reset starts a batch of up to rows values.
func (c *fixedColumn[T]) reset(rows int) {
	var zero T
	c.vals = valuesOf[T](c.recycle.get(rows * int(unsafe.Sizeof(zero))))
}

// add appends x, or returns err from decoding it.
func (c *fixedColumn[T]) add(x T, err error) error {
	if err != nil {
		return err
	}
	c.valid.present(len(c.vals))
	c.vals = append(c.vals, x)
	return nil
}

func (c *fixedColumn[T]) appendNull() {
	c.valid.null(len(c.vals))
	var zero T
	c.vals = append(c.vals, zero)
}

func (c *fixedColumn[T]) release() {}

func (c *fixedColumn[T]) array(next int) arrow.Array {
	n := len(c.vals)
	bitmap, nulls := c.valid.take(n)
	vals := c.recycle.buffer(bytesOf(c.vals))
	data := array.NewData(c.typ, n, []*memory.Buffer{bitmap, vals}, nil, nulls, 0)
	defer data.Release()
	vals.Release() // data holds it now
	// The slice now belongs to the array, which the sink may keep: it
	// comes back through the recycler once released.
	c.reset(next)
	return array.MakeFromData(data)
}

// The fixed-width columns, one per Go type a Postgres type decodes to.
type (
	int16Column     struct{ fixedColumn[int16] }
	int32Column     struct{ fixedColumn[int32] }
	int64Column     struct{ fixedColumn[int64] }
	float32Column   struct{ fixedColumn[float32] }
	float64Column   struct{ fixedColumn[float64] }
	dateColumn      struct{ fixedColumn[arrow.Date32] }
	timestampColumn struct{ fixedColumn[arrow.Timestamp] }
)

func (c *int16Column) appendValue(v []byte) error     { return c.add(decodeInt16(v)) }
func (c *int32Column) appendValue(v []byte) error     { return c.add(decodeInt32(v)) }
func (c *int64Column) appendValue(v []byte) error     { return c.add(decodeInt64(v)) }
func (c *float32Column) appendValue(v []byte) error   { return c.add(decodeFloat32(v)) }
func (c *float64Column) appendValue(v []byte) error   { return c.add(decodeFloat64(v)) }
func (c *dateColumn) appendValue(v []byte) error      { return c.add(decodeDate(v)) }
func (c *timestampColumn) appendValue(v []byte) error { return c.add(decodeTimestamp(v)) }

// decimalColumn collects numeric values as decimal128 of type t.
type decimalColumn struct {
	fixedColumn[decimal128.Num]
	t    *arrow.Decimal128Type
	text []byte // decimalFromText's scratch
}

func (c *decimalColumn) appendValue(v []byte) error {
	if n, ok := decimalFromNumeric(v, c.t.Scale); ok {
		return c.add(n, nil)
	}
	return c.add(decimalFromText(&c.text, v, c.t))
}

// errBatchTooBig guards the 2 GiB an Arrow string array can address. A
// batch ends at ReadOptions.BatchBytes (16 MiB by default) and a value
// PostgreSQL sends is at most 1 GB, so only a BatchBytes near 2 GiB (set
// in code; lake.yaml has no key for it) gets here.
var errBatchTooBig = errors.New("more than an Arrow string array holds; " +
	"read the table with a query: that leaves the column out or shortens it (for example left(col, 100000))")

// bytesColumn collects string or binary values (utf8 and binary share
// their layout: int32 offsets into one data buffer). transform, if set,
// rewrites a value into scratch first (jsonb's version byte, uuid's text).
type bytesColumn struct {
	typ       arrow.DataType
	transform func(dst, v []byte) ([]byte, error)
	scratch   []byte
	offsets   []int32
	data      []byte
	valid     validity
	// recycleOffsets and recycleData give back the buffers of released
	// batches.
	recycleOffsets, recycleData *recycler
}

func newBytesColumn(typ arrow.DataType, transform func(dst, v []byte) ([]byte, error), rows int) *bytesColumn {
	c := &bytesColumn{typ: typ, transform: transform, recycleOffsets: newRecycler(), recycleData: newRecycler()}
	c.reset(rows, 0)
	return c
}

func (c *bytesColumn) reset(rows, dataBytes int) {
	c.offsets = append(valuesOf[int32](c.recycleOffsets.get((rows+1)*4)), 0)
	c.data = c.recycleData.get(dataBytes)
}

func (c *bytesColumn) appendValue(v []byte) error {
	if c.transform != nil {
		var err error
		if c.scratch, err = c.transform(c.scratch[:0], v); err != nil {
			return err
		}
		v = c.scratch
	}
	if len(c.data)+len(v) > math.MaxInt32 {
		return fmt.Errorf("the values of %d rows of this column pass 2 GiB, %w", len(c.offsets), errBatchTooBig)
	}
	c.valid.present(len(c.offsets) - 1)
	c.data = append(c.data, v...)
	c.offsets = append(c.offsets, int32(len(c.data)))
	return nil
}

func (c *bytesColumn) appendNull() {
	c.valid.null(len(c.offsets) - 1)
	c.offsets = append(c.offsets, int32(len(c.data)))
}

func (c *bytesColumn) release() {}

func (c *bytesColumn) array(next int) arrow.Array {
	n := len(c.offsets) - 1
	bitmap, nulls := c.valid.take(n)
	offsets, values := c.recycleOffsets.buffer(bytesOf(c.offsets)), c.recycleData.buffer(c.data)
	data := array.NewData(c.typ, n, []*memory.Buffer{bitmap, offsets, values}, nil, nulls, 0)
	defer data.Release()
	offsets.Release() // data holds them now
	values.Release()
	// The next batch likely holds about as many bytes as this one.
	dataBytes := len(c.data)
	if next == 0 {
		dataBytes = 0
	}
	c.reset(next, dataBytes)
	return array.MakeFromData(data)
}

// builderColumn collects values with an Arrow builder, through the
// appender bound to it.
type builderColumn struct {
	b      array.Builder
	append appender
}

func (c *builderColumn) appendValue(v []byte) error { return c.append(v) }
func (c *builderColumn) appendNull()                { c.b.AppendNull() }
func (c *builderColumn) release()                   { c.b.Release() }

func (c *builderColumn) array(next int) arrow.Array { return loaders.NextArray(c.b, next) }

// newColumn returns the column that collects values of mapping m, at
// first sized for rows values; builders come from mem.
func newColumn(m mapping, mem memory.Allocator, rows int) column {
	if m.column != nil {
		return m.column(rows)
	}
	b := array.NewBuilder(mem, m.arrow)
	b.Reserve(rows)
	return &builderColumn{b: b, append: m.bind(b)}
}

// newBatch hands over the rows the columns collected as one record batch
// of schema, and sizes the columns for next rows.
func newBatch(schema *arrow.Schema, cols []column, rows, next int) arrow.RecordBatch {
	arrays := make([]arrow.Array, len(cols))
	for i, c := range cols {
		arrays[i] = c.array(next)
	}
	rec := array.NewRecordBatch(schema, arrays, int64(rows))
	for _, a := range arrays {
		a.Release()
	}
	return rec
}
