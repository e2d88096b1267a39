package parquetfile

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// stringDict hands arrow-go the strings of a dictionary-encoded column as
// dictionary indices, so that it need not hash them itself.
//
// arrow-go's dictionary encoder looks every value up in its memo table,
// which boxes each value and hashes it: some 130-200 ns a value, a sixth
// of lake's CPU on tables of short codes (orders' status, lineitem's
// flags and modes). A Go map lookup of a string costs a fraction of that.
// The column chunk's dictionary encoder takes a dictionary once
// (PutDictionary) and then indices into it (WriteDictIndices). So the
// dictionary of a row group starts as the distinct values of its first
// batch, in order of appearance; a later batch whose values are all in it
// goes as indices. One with a value that is not goes as strings, through
// the memo table, which appends the new values in order of first
// appearance (its memo table holds the dictionary first, so the indices
// keep their meaning); learn then appends them in the same order, and the
// next batches go as indices again. Should arrow-go's dictionary ever
// differ in size from stringDict's, stringDict stops for the row group.
//
// This is what pqarrow does with an Arrow dictionary array, minus its cost:
// pqarrow recognises the same dictionary only by pointer, which a new
// array.Dictionary never has, so for every batch it compares the
// dictionaries and computes the distinct indices (compute.UniqueArray) to
// update the page statistics. stringDict knows which values a batch used
// from its own pass and updates the statistics with their min and max.
type stringDict struct {
	valueType arrow.DataType
	// values is the row group's dictionary, in the encoder's order, and
	// index the position of each value in it.
	values []string
	index  map[string]int32
	// slots finds most values without hashing them whole (see probe).
	slots [probeSlots]int32
	follower
	// ids are the indices of the current batch's values, at the batch's
	// offset: one slice for every batch, rather than a buffer each.
	ids []int32
	// used marks the dictionary entries the current batch uses.
	used []bool
}

func newStringDict(valueType arrow.DataType) *stringDict {
	return &stringDict{
		valueType: valueType,
		index:     map[string]int32{},
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

// dictionaryOf returns the column chunk's dictionary encoder, if the chunk
// is (still) dictionary-encoded.
func dictionaryOf(cw file.ColumnChunkWriter) (dictionaryEncoder, bool) {
	enc, ok := cw.CurrentEncoder().(dictionaryEncoder)
	return enc, ok && cw.CurrentEncoder().Encoding() == parquet.Encodings.PlainDict
}

// follower is what stringDict and intDict share to stay in step with
// arrow-go's dictionary of the open row group.
type follower struct {
	// lost is set when arrow-go's dictionary is no longer lake's: the rest
	// of the row group then goes through arrow-go.
	lost bool
}

// begin returns the chunk's dictionary encoder for a batch, given the size
// of lake's dictionary, and whether the batch is the row group's first;
// ok is false when the batch must go through arrow-go.
func (f *follower) begin(cw file.ColumnChunkWriter, size int) (enc dictionaryEncoder, first, ok bool) {
	if f.lost {
		return nil, false, false
	}
	if enc, ok = dictionaryOf(cw); !ok {
		return nil, false, false
	}
	if size == 0 && enc.NumEntries() > 0 {
		f.lost = true // a batch went through arrow-go before any through lake
		return nil, false, false
	}
	return enc, size == 0, true
}

// following returns the encoder whose dictionary learn must follow after a
// batch went through arrow-go, or nil if there is none to follow.
func (f *follower) following(cw file.ColumnChunkWriter) dictionaryEncoder {
	if f.lost {
		return nil
	}
	if enc, ok := dictionaryOf(cw); ok {
		return enc
	}
	return nil
}

// check ends learn: arrow-go's dictionary must have as many entries as
// lake's (size).
func (f *follower) check(enc dictionaryEncoder, size int) {
	if enc.NumEntries() != size {
		f.lost = true
	}
}

// putDictionary hands enc a row group's dictionary, which it releases.
func putDictionary(enc dictionaryEncoder, dict arrow.Array) error {
	defer dict.Release()
	if err := enc.PutDictionary(dict); err != nil {
		return err
	}
	if n := enc.NumEntries(); n != dict.Len() {
		return fmt.Errorf("dictionary of %d values became %d entries", dict.Len(), n)
	}
	return nil
}

// rawSizer is the part of arrow-go's dictionary encoder that counts the
// bytes of the values it was given, as PLAIN would store them.
type rawSizer interface{ AddRawSize(int64) }

// writeIndices writes a batch as indices into the chunk's dictionary,
// after telling its encoder that the batch's values would take raw bytes
// as PLAIN.
//
// arrow-go cuts a dictionary-encoded data page once the values it holds
// would take a data page's size (Options.PageBytes) as PLAIN, as
// parquet-mr does; but only values that go through its memo table are
// counted, not indices written as they are (WriteDictIndices). Uncounted,
// a column chunk was one data page: a row group of TPC-H lineitem held
// 860,371 ship modes in one page, whose indices arrow-go kept as int32
// until the row group ended, 3.4 MB for each such column, reallocated as
// it grew. Counted, a page is cut in the first batch that takes it past
// the size.
func writeIndices(cw file.ColumnChunkWriter, ids arrow.Array, defs []int16, raw int64) error {
	if s, ok := cw.CurrentEncoder().(rawSizer); ok {
		s.AddRawSize(raw)
	}
	return cw.WriteDictIndices(ids, defs, nil)
}

// countValues adds a batch written as indices to the page statistics:
// arrow-go counts values only when it sees them.
func countValues(stats metadata.TypedStatistics, defs []int16, nonNull int) {
	stats.IncNulls(int64(max(len(defs)-nonNull, 0)))
	stats.IncNumValues(int64(nonNull))
}

func (d *stringDict) write(cw file.ColumnChunkWriter, arr arrow.Array, defs []int16) (bool, error) {
	enc, first, ok := d.begin(cw, len(d.values))
	if !ok {
		return false, nil
	}
	switch a := arr.(type) {
	case *array.String:
		ok = d.indices(a, first)
	case *array.Binary:
		ok = d.indices(a, first)
	default:
		ok = false
	}
	if !ok {
		return false, nil
	}
	ids := idArray(arr, d.ids)
	defer ids.Release()
	if first {
		if err := putDictionary(enc, d.dictArray()); err != nil {
			return false, err
		}
	}
	if stats := cw.PageStatistics(); stats != nil {
		countValues(stats, defs, ids.Len()-ids.NullN())
		if bounds := d.usedBounds(); bounds != nil {
			err := stats.UpdateFromArrow(bounds, false)
			bounds.Release()
			if err != nil {
				return false, err
			}
		}
	}
	// A batch's values span its offsets: nulls take none.
	offsets := arr.(interface{ ValueOffsets() []int32 }).ValueOffsets()
	raw := int64(offsets[arr.Len()]-offsets[0]) + 4*int64(ids.Len()-ids.NullN())
	return true, writeIndices(cw, ids, defs, raw)
}

// learn follows arrow-go's dictionary after arr was written through it:
// its memo table gave each value it did not hold the next index, in order
// of first appearance, and so does learn.
func (d *stringDict) learn(cw file.ColumnChunkWriter, arr arrow.Array) {
	enc := d.following(cw)
	if enc == nil {
		return
	}
	a, ok := arr.(array.BinaryLike)
	if !ok {
		d.lost = true
		return
	}
	for i := range arr.Len() {
		if arr.IsNull(i) {
			continue
		}
		off := a.ValueOffset64(i)
		v := a.ValueBytes()[off : off+int64(a.ValueLen(i))]
		if _, ok := d.lookup(v); !ok {
			d.add(string(v))
		}
	}
	d.check(enc, len(d.values))
}

// probeSlots is the size of stringDict's probe table: 4 KiB a column.
const probeSlots = 1024

// collided marks a probe slot that several values of the dictionary share.
const collided = -1

// probeHash hashes a value by its length and three of its bytes: enough to
// tell apart the few values of a code column (flags, modes, statuses),
// for a fraction of the cost of hashing it whole.
func probeHash[V string | []byte](v V) int {
	n := len(v)
	if n == 0 {
		return 0
	}
	h := uint32(n)*0x9e3779b1 ^ uint32(v[0])*0x85ebca6b ^ uint32(v[n-1])*0xc2b2ae35 ^ uint32(v[n/2])*0x27d4eb2f
	return int((h ^ h>>15) & (probeSlots - 1))
}

// lookup returns v's index in the dictionary, if it is there. A Go map
// lookup of a short string costs some 25 ns; most values of a code column
// are found by one probe and one comparison.
func (d *stringDict) lookup(v []byte) (int32, bool) {
	switch s := d.slots[probeHash(v)]; {
	case s == 0:
		return 0, false
	case s > 0:
		return s - 1, d.values[s-1] == string(v)
	default:
		id, ok := d.index[string(v)]
		return id, ok
	}
}

func (d *stringDict) add(v string) int32 {
	id := int32(len(d.values))
	d.values = append(d.values, v)
	d.index[v] = id
	if h := probeHash(v); d.slots[h] == 0 {
		d.slots[h] = id + 1
	} else {
		d.slots[h] = collided
	}
	return id
}

// dictArray is the dictionary as the Arrow array PutDictionary takes.
func (d *stringDict) dictArray() arrow.Array {
	b := array.NewBuilder(memory.DefaultAllocator, d.valueType)
	defer b.Release()
	for _, v := range d.values {
		appendBytes(b, v)
	}
	return b.NewArray()
}

func appendBytes(b array.Builder, v string) {
	switch vb := b.(type) {
	case *array.StringBuilder:
		vb.Append(v)
	case *array.BinaryBuilder:
		vb.AppendString(v)
	}
}

// usedBounds returns the smallest and the largest dictionary value the
// batch used, in Parquet's order for strings (bytewise), or nil if it used
// none.
func (d *stringDict) usedBounds() arrow.Array {
	lo, hi := -1, -1
	for id, used := range d.used {
		if !used {
			continue
		}
		if lo < 0 || d.values[id] < d.values[lo] {
			lo = id
		}
		if hi < 0 || d.values[id] > d.values[hi] {
			hi = id
		}
	}
	if lo < 0 {
		return nil
	}
	b := array.NewBuilder(memory.DefaultAllocator, d.valueType)
	defer b.Release()
	appendBytes(b, d.values[lo])
	appendBytes(b, d.values[hi])
	return b.NewArray()
}

// indices puts in d.ids the index of every value of a (0 where it is null)
// and reports whether all were found. The row group's first batch makes
// the dictionary.
func (d *stringDict) indices(a interface {
	arrow.Array
	ValueOffsets() []int32
	ValueBytes() []byte
}, first bool) bool {
	n, off := a.Len(), a.Data().Offset()
	d.ids = grow(d.ids, off+n)
	d.used = slices.Grow(d.used[:0], len(d.values))[:len(d.values)]
	clear(d.used)
	offsets, data := a.ValueOffsets(), a.ValueBytes()
	base := offsets[0] // data starts at the first value
	for i := range n {
		if a.IsNull(i) {
			d.ids[off+i] = 0
			continue
		}
		v := data[offsets[i]-base : offsets[i+1]-base]
		id, ok := d.lookup(v)
		if !ok {
			if !first {
				return false // arrow-go adds it; learn follows
			}
			id = d.add(string(v))
			d.used = append(d.used, true)
		}
		d.used[id] = true
		d.ids[off+i] = id
	}
	return true
}

func (d *stringDict) reset() {
	d.values = d.values[:0]
	clear(d.index)
	clear(d.slots[:])
	d.follower = follower{}
}
