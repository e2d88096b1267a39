package parquetfile

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/util"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// fileEncoder writes record batches into one Parquet file and encodes the
// columns of each batch on several goroutines.
//
// pqarrow.FileWriter encodes a batch's columns one after the other on the
// caller's goroutine. Encoding (dictionaries, statistics, zstd) is most of
// lake's CPU, and that one goroutine was the bottleneck of a snapshot while
// the source waited (TPC-H lineitem: 20 of 29 CPU-seconds). In a buffered
// row group every column chunk has its own writer and its own page buffers,
// so different columns can be encoded at the same time; only starting and
// closing row groups and the file are serial. pqarrow still converts each
// column (WriteArrowToColumn); this file supplies the definition and
// repetition levels, simple for the shapes lake writes: flat columns and
// lists of flat values (checkShapes refuses the others).
type fileEncoder struct {
	pw      *file.Writer
	rg      file.BufferedRowGroupWriter
	cols    []*columnEncoder
	workers int
	// order lists the columns most expensive first, from the first batch,
	// so that the big ones start early and the small ones fill the gaps.
	order []int
	errs  []error
}

// newFileEncoder starts a Parquet file on w. The Arrow schema is stored in
// the footer under "ARROW:schema", as pqarrow does, so that Arrow readers
// get back the exact types (time zones, list element names).
func newFileEncoder(schema *arrow.Schema, w io.Writer, props *parquet.WriterProperties, arrowProps pqarrow.ArrowWriterProperties, workers int) (*fileEncoder, error) {
	pqschema, err := pqarrow.ToParquet(schema, props, arrowProps)
	if err != nil {
		return nil, err
	}
	meta, err := footerMetadata(schema, props.Allocator())
	if err != nil {
		return nil, err
	}
	pw, err := file.NewParquetWriterWithError(w, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
	if err != nil {
		return nil, err
	}
	e := &fileEncoder{pw: pw, workers: max(1, workers), errs: make([]error, schema.NumFields())}
	for i, f := range schema.Fields() {
		leaf := pqschema.Column(i) // one leaf per column: checkShapes
		c := &columnEncoder{
			name: f.Name,
			leaf: i, // one leaf per column: checkShapes
			ctx:  pqarrow.NewArrowWriteContext(context.Background(), &arrowProps),
		}
		if l, ok := f.Type.(*arrow.ListType); ok {
			c.list = true
			c.leafNullable = l.ElemField().Nullable
		} else {
			c.leafNullable = f.Nullable
			c.dict = newDictWriter(f.Type, leaf.PhysicalType())
		}
		e.cols = append(e.cols, c)
	}
	return e, nil
}

// checkShapes accepts the schemas fileEncoder can write: every column flat
// or a list of flat values, which is all lake's loaders produce.
func checkShapes(schema *arrow.Schema) error {
	for _, f := range schema.Fields() {
		t := f.Type
		if l, ok := t.(*arrow.ListType); ok {
			t = l.Elem()
		}
		if !flat(t) {
			return fmt.Errorf("parquet writer: column %q has type %s: only flat columns and lists of flat values are written", f.Name, f.Type)
		}
	}
	return nil
}

// footerMetadata is the schema's own metadata plus the Arrow schema in the
// form pqarrow writes and reads: a base64 IPC stream with no batches, list
// elements named "element" as in the Parquet LIST they become.
func footerMetadata(schema *arrow.Schema, mem memory.Allocator) (metadata.KeyValueMetadata, error) {
	var meta metadata.KeyValueMetadata
	sm := schema.Metadata()
	for i, k := range sm.Keys() {
		meta.Append(k, sm.Values()[i])
	}
	fields := slices.Clone(schema.Fields())
	for i, f := range fields {
		if l, ok := f.Type.(*arrow.ListType); ok {
			elem := l.ElemField()
			elem.Name = "element"
			fields[i].Type = arrow.ListOfField(elem)
		}
	}
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(arrow.NewSchema(fields, &sm)), ipc.WithAllocator(mem))
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("store the arrow schema: %w", err)
	}
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(buf.Bytes()))
	return meta, nil
}

// write appends rec to the open row group, starting one if none is open.
func (e *fileEncoder) write(rec arrow.RecordBatch) error {
	if e.rg == nil {
		rg, err := e.pw.AppendBufferedRowGroupChecked()
		if err != nil {
			return fmt.Errorf("start row group: %w", err)
		}
		e.rg = rg
	}
	if e.order == nil {
		e.order = costOrder(rec)
	}
	clear(e.errs)
	var next atomic.Int64
	encode := func() {
		for {
			k := int(next.Add(1) - 1)
			if k >= len(e.order) {
				return
			}
			i := e.order[k]
			e.errs[i] = e.cols[i].write(e.rg, rec.Column(i))
		}
	}
	var wg sync.WaitGroup
	for range min(e.workers, len(e.cols)) - 1 {
		wg.Go(encode)
	}
	encode()
	wg.Wait()
	for i, err := range e.errs {
		if err != nil {
			return fmt.Errorf("column %q: %w", e.cols[i].name, err)
		}
	}
	return nil
}

// costOrder returns rec's column indexes by decreasing Arrow size, the
// best guess at their encoding cost.
func costOrder(rec arrow.RecordBatch) []int {
	size := make([]int64, rec.NumCols())
	order := make([]int, rec.NumCols())
	for i, col := range rec.Columns() {
		size[i] = util.TotalArraySize(col)
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return int(size[b] - size[a]) })
	return order
}

// endRowGroup closes the open row group; the next write starts another.
func (e *fileEncoder) endRowGroup() error {
	if e.rg == nil {
		return nil
	}
	err := e.rg.Close()
	e.rg = nil
	for _, c := range e.cols {
		if c.dict != nil {
			c.dict.reset()
		}
	}
	return err
}

// rowGroupBytes is what the open row group holds so far, compressed.
func (e *fileEncoder) rowGroupBytes() int64 {
	if e.rg == nil {
		return 0
	}
	return e.rg.TotalBytesWritten()
}

// close ends the open row group and writes the footer.
func (e *fileEncoder) close() error {
	if err := e.endRowGroup(); err != nil {
		return err
	}
	return e.pw.Close()
}

// columnEncoder writes one top-level column. Its fields are only used by
// one goroutine at a time: write calls for the same column never overlap.
type columnEncoder struct {
	name string
	leaf int
	// leafNullable is whether the values may be null: the column's, or
	// for a list its elements'. (Levels come from the Parquet schema.)
	leafNullable bool
	list         bool
	// ctx carries pqarrow's scratch buffers, one per column so that columns
	// can be written at the same time.
	ctx        context.Context
	defs, reps []int16
	// dict is set for the column types that have a dictWriter.
	dict dictWriter
}

func (c *columnEncoder) write(rg file.BufferedRowGroupWriter, arr arrow.Array) error {
	cw, err := rg.Column(c.leaf)
	if err != nil {
		return err
	}
	info := cw.LevelInfo()
	if !c.list {
		var defs []int16
		if info.DefLevel > 0 {
			defs = c.flatLevels(arr, info.DefLevel)
		}
		if c.dict == nil {
			return pqarrow.WriteArrowToColumn(c.ctx, cw, arr, defs, nil, c.leafNullable)
		}
		if done, err := c.dict.write(cw, arr, defs); done || err != nil {
			return err
		}
		if err := pqarrow.WriteArrowToColumn(c.ctx, cw, arr, defs, nil, c.leafNullable); err != nil {
			return err
		}
		c.dict.learn(cw, arr)
		return nil
	}
	l, ok := arr.(*array.List)
	if !ok {
		return fmt.Errorf("got a %s array for a list column", arr.DataType())
	}
	values, err := c.listLevels(l, info.DefLevel, info.RepeatedAncestorDefLevel)
	if err != nil {
		return err
	}
	defer values.Release()
	return pqarrow.WriteArrowToColumn(c.ctx, cw, values, c.defs, c.reps, c.leafNullable)
}

// flatLevels returns a definition level per value: def where it is
// present, one less where it is null.
func (c *columnEncoder) flatLevels(arr arrow.Array, def int16) []int16 {
	n := arr.Len()
	c.defs = slices.Grow(c.defs[:0], n)[:n]
	for i := range c.defs {
		c.defs[i] = def
	}
	if arr.NullN() > 0 {
		for i := range n {
			if arr.IsNull(i) {
				c.defs[i] = def - 1
			}
		}
	}
	return c.defs
}

// errNullListWithValues is what pqarrow refuses too: Arrow allows a null
// list slot to span child values, but Parquet levels have no place for them.
var errNullListWithValues = errors.New("a null list spans values")

// listLevels fills c.defs and c.reps for a list of flat values and returns
// the values the levels describe. A list starts with repetition level 0,
// and each further element has 1. Definition levels: a null list is 0, an
// empty list one less than present (the repeated group's level, anc), an
// element is def when present and def-1 when null.
func (c *columnEncoder) listLevels(l *array.List, def, anc int16) (arrow.Array, error) {
	c.defs, c.reps = c.defs[:0], c.reps[:0]
	n := l.Len()
	if n == 0 {
		return array.NewSlice(l.ListValues(), 0, 0), nil
	}
	first, _ := l.ValueOffsets(0)
	_, last := l.ValueOffsets(n - 1)
	elems := l.ListValues()
	for i := range n {
		start, end := l.ValueOffsets(i)
		switch {
		case l.IsNull(i):
			if start != end {
				return nil, errNullListWithValues
			}
			c.defs = append(c.defs, 0)
			c.reps = append(c.reps, 0)
		case start == end:
			c.defs = append(c.defs, anc-1)
			c.reps = append(c.reps, 0)
		default:
			for j := start; j < end; j++ {
				d := def
				if elems.IsNull(int(j)) {
					d = def - 1
				}
				var r int16 = 1
				if j == start {
					r = 0
				}
				c.defs = append(c.defs, d)
				c.reps = append(c.reps, r)
			}
		}
	}
	return array.NewSlice(elems, first, last), nil
}
