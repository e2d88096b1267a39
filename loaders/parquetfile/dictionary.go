package parquetfile

import (
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
// arrow-go accepts an Arrow dictionary array instead of the values only if
// its dictionary stays the same for the whole column chunk; with another
// one it falls back to plain encoding for the rest of the chunk. So the
// dictionary of a row group is the distinct values of its first batch, in
// order of appearance; a later batch whose values are all in it goes as
// indices, one with a value that is not goes as strings, through the memo
// table as before (arrow-go mixes the two: its memo table holds the
// dictionary first, so the indices keep their meaning).
type stringDict struct {
	typ   *arrow.DictionaryType
	index map[string]int32
	dict  arrow.Array // nil until the row group's first batch
	ids   *array.Int32Builder
}

func newStringDict(valueType arrow.DataType) *stringDict {
	return &stringDict{
		typ:   &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: valueType},
		index: map[string]int32{},
		ids:   array.NewInt32Builder(memory.DefaultAllocator),
	}
}

// supportsStringDict reports whether a column of type t can use stringDict.
func supportsStringDict(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.BINARY
}

// encode returns arr as a dictionary array over the row group's dictionary,
// or nil when arr must be written as it is: the column chunk is not (or no
// longer) dictionary-encoded, or arr has a value outside the dictionary.
func (d *stringDict) encode(cw file.ColumnChunkWriter, arr arrow.Array) arrow.Array {
	if cw.CurrentEncoder().Encoding() != parquet.Encodings.PlainDict {
		return nil
	}
	var ok bool
	switch a := arr.(type) {
	case *array.String:
		ok = indices[string](d, a)
	case *array.Binary:
		ok = indices[[]byte](d, a)
	}
	ids := d.ids.NewInt32Array()
	defer ids.Release()
	if !ok {
		return nil
	}
	return array.NewDictionaryArray(d.typ, ids, d.dict)
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
		for i := range n {
			if a.IsNull(i) {
				d.ids.UnsafeAppendBoolToBitmap(false)
				continue
			}
			id, ok := d.index[string(a.Value(i))]
			if !ok {
				return false
			}
			d.ids.UnsafeAppend(id)
		}
		return true
	}
	values := array.NewBuilder(memory.DefaultAllocator, d.typ.ValueType)
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
	return true
}

// reset forgets the dictionary: the next row group makes its own.
func (d *stringDict) reset() {
	if d.dict != nil {
		d.dict.Release()
		d.dict = nil
	}
	clear(d.index)
}
