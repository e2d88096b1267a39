package parquetfile

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// stringDict hands arrow-go the strings of a dictionary-encoded column as
// dictionary indices, so that it need not hash them itself.
//
// arrow-go's dictionary encoder looks every value up in its memo table,
// which boxes each value and hashes it: some 130-200 ns a value, a sixth
// of lake's CPU on tables of short codes (orders' status, lineitem's
// flags and modes). A Go map lookup of a string costs a fraction of that.
// The column chunk's dictionary encoder takes a dictionary once
// (PutDictionary) and then indices into it (WriteDictIndices), as long as
// the dictionary stays the same for the chunk. So the dictionary of a row
// group is the distinct values of its first batch, in order of appearance;
// a later batch whose values are all in it goes as indices, one with a
// value that is not goes as strings, through the memo table as before
// (arrow-go mixes the two: its memo table holds the dictionary first, so
// the indices keep their meaning).
//
// This is what pqarrow does with an Arrow dictionary array, minus its cost:
// pqarrow recognises the same dictionary only by pointer, which a new
// array.Dictionary never has, so for every batch it compares the
// dictionaries and computes the distinct indices (compute.UniqueArray) to
// update the page statistics. stringDict knows which values a batch used
// from its own pass and updates the statistics with their min and max.
type stringDict struct {
	valueType arrow.DataType
	index     map[string]int32
	dict      arrow.Array // nil until the row group's first batch
	ids       *array.Int32Builder
	// used marks the dictionary entries the current batch uses.
	used []bool
}

func newStringDict(valueType arrow.DataType) *stringDict {
	return &stringDict{
		valueType: valueType,
		index:     map[string]int32{},
		ids:       array.NewInt32Builder(memory.DefaultAllocator),
	}
}

// dictWriter writes the batches of one column chunk as indices into a
// dictionary of its own, for columns arrow-go would dictionary-encode by
// hashing every value (stringDict, intDict).
type dictWriter interface {
	// write writes arr, whose definition levels are defs, to cw as
	// indices, and reports false, having written nothing, when arr must be
	// written as it is: the chunk is not (or no longer) dictionary-encoded,
	// or arr has a value the dictionary cannot take now.
	write(cw file.ColumnChunkWriter, arr arrow.Array, defs []int16) (bool, error)
	// learn is told of a batch written as it is after write refused it.
	learn(cw file.ColumnChunkWriter, arr arrow.Array)
	// reset forgets the dictionary: the next row group makes its own.
	reset()
}

// newDictWriter returns the dictWriter for a flat column of Arrow type t
// stored as Parquet type physical, or nil if there is none.
func newDictWriter(t arrow.DataType, physical parquet.Type) dictWriter {
	if t.ID() == arrow.STRING || t.ID() == arrow.BINARY {
		return newStringDict(t)
	}
	return newIntDict(t, physical)
}

// dictionaryEncoder is the part of arrow-go's dictionary encoder (an
// internal type) that takes a whole dictionary.
type dictionaryEncoder interface {
	PutDictionary(arrow.Array) error
	NumEntries() int
}

func (d *stringDict) write(cw file.ColumnChunkWriter, arr arrow.Array, defs []int16) (bool, error) {
	enc, ok := cw.CurrentEncoder().(dictionaryEncoder)
	if !ok || cw.CurrentEncoder().Encoding() != parquet.Encodings.PlainDict {
		return false, nil
	}
	first := d.dict == nil
	switch a := arr.(type) {
	case *array.String:
		ok = indices[string](d, a)
	case *array.Binary:
		ok = indices[[]byte](d, a)
	default:
		ok = false
	}
	ids := d.ids.NewInt32Array()
	defer ids.Release()
	if !ok {
		return false, nil
	}
	if first {
		if err := enc.PutDictionary(d.dict); err != nil {
			return false, err
		}
		if n := enc.NumEntries(); n != d.dict.Len() {
			return false, fmt.Errorf("dictionary of %d values became %d entries", d.dict.Len(), n)
		}
	}
	if stats := cw.PageStatistics(); stats != nil {
		nonNull := ids.Len() - ids.NullN()
		stats.IncNulls(int64(max(len(defs)-nonNull, 0)))
		stats.IncNumValues(int64(nonNull))
		if bounds := d.usedBounds(); bounds != nil {
			err := stats.UpdateFromArrow(bounds, false)
			bounds.Release()
			if err != nil {
				return false, err
			}
		}
	}
	return true, cw.WriteDictIndices(ids, defs, nil)
}

// usedBounds returns the smallest and the largest dictionary value the
// batch used, in Parquet's order for strings (bytewise), or nil if it used
// none.
func (d *stringDict) usedBounds() arrow.Array {
	values := d.dict.(array.BinaryLike)
	lo, hi := -1, -1
	for id, used := range d.used {
		if !used {
			continue
		}
		if lo < 0 || bytes.Compare(valueBytes(values, id), valueBytes(values, lo)) < 0 {
			lo = id
		}
		if hi < 0 || bytes.Compare(valueBytes(values, id), valueBytes(values, hi)) > 0 {
			hi = id
		}
	}
	if lo < 0 {
		return nil
	}
	b := array.NewBuilder(memory.DefaultAllocator, d.valueType)
	defer b.Release()
	for _, id := range []int{lo, hi} {
		switch vb := b.(type) {
		case *array.StringBuilder:
			vb.BinaryBuilder.Append(valueBytes(values, id))
		case *array.BinaryBuilder:
			vb.Append(valueBytes(values, id))
		}
	}
	return b.NewArray()
}

// valueBytes is value i of a dictionary (never a slice: its bytes start at
// offset 0).
func valueBytes(a array.BinaryLike, i int) []byte {
	off := a.ValueOffset64(i)
	return a.ValueBytes()[off : off+int64(a.ValueLen(i))]
}

// indices appends to d.ids the index of every value of a (null where it is
// null) and reports whether all were found. The row group's first batch
// makes the dictionary.
func indices[V string | []byte](d *stringDict, a interface {
	arrow.Array
	Value(int) V
}) bool {
	n := a.Len()
	d.ids.Reserve(n)
	if d.dict != nil {
		d.used = slices.Grow(d.used[:0], d.dict.Len())[:d.dict.Len()]
		clear(d.used)
		for i := range n {
			if a.IsNull(i) {
				d.ids.UnsafeAppendBoolToBitmap(false)
				continue
			}
			id, ok := d.index[string(a.Value(i))]
			if !ok {
				return false
			}
			d.used[id] = true
			d.ids.UnsafeAppend(id)
		}
		return true
	}
	values := array.NewBuilder(memory.DefaultAllocator, d.valueType)
	defer values.Release()
	for i := range n {
		if a.IsNull(i) {
			d.ids.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v := a.Value(i)
		id, ok := d.index[string(v)]
		if !ok {
			id = int32(len(d.index))
			d.index[string(v)] = id
			switch b := values.(type) {
			case *array.StringBuilder:
				b.Append(string(v))
			case *array.BinaryBuilder:
				b.Append([]byte(v))
			}
		}
		d.ids.UnsafeAppend(id)
	}
	d.dict = values.NewArray()
	// The first batch uses every value of the dictionary it made.
	d.used = slices.Grow(d.used[:0], d.dict.Len())[:d.dict.Len()]
	for i := range d.used {
		d.used[i] = true
	}
	return true
}

// learn does nothing: stringDict keeps the dictionary of the row group's
// first batch, and a batch with another value is written through arrow-go.
func (d *stringDict) learn(file.ColumnChunkWriter, arrow.Array) {}

func (d *stringDict) reset() {
	if d.dict != nil {
		d.dict.Release()
		d.dict = nil
	}
	clear(d.index)
}
