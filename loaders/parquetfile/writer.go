package parquetfile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/util"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lake-engine/lake/loaders"
)

// Default sizes used by Options.WithDefaults.
const (
	DefaultCompression   = "zstd"
	DefaultRowGroupBytes = 128 << 20
	DefaultFileBytes     = 512 << 20
	DefaultPageBytes     = 256 << 10
)

// Options tunes the files a Writer produces. The zero value means the defaults.
type Options struct {
	// Compression is the codec of every column: "zstd" (default), "snappy",
	// "gzip" or "none".
	Compression string
	// CompressionLevel is the codec's level (zstd 1 to 22, gzip 1 to 9);
	// 0 is the codec's default: zstd 3 (zstdLevel), gzip 6.
	CompressionLevel int
	// RowGroupBytes is the target uncompressed (Arrow buffer) size of a row
	// group; default 128 MiB. It also bounds the Writer's memory: one row
	// group is buffered, compressed, before it is written out.
	RowGroupBytes int64
	// PageBytes is the size at which a column's data page is cut: its
	// values as PLAIN would store them, for a dictionary-encoded column
	// too; default 256 KiB. A page is cut after the write that takes it
	// past PageBytes, so a page may hold up to one batch more.
	//
	// It sets most of the Writer's memory: every column of the open row
	// group holds the page it is building in arrow-go buffers (the
	// encoder's, the uncompressed page's, the compressed page's) that
	// grow to the largest page they held; the encoders' go from column to
	// column through a shared pool and never shrink.
	// parquet-mr and arrow-go cut at 1 MiB. With 256 KiB, measured with
	// `make bench-peers` on the 2-core development machine, lake's
	// anonymous memory dropped from 158 to 100 MB on TPC-H lineitem and
	// from 57 to 34 MB on the 10M-row orders (from 46 to 31 MB on its 1M
	// rows: it no longer grows with the table), at the same CPU time; the
	// files grew by 1% (lineitem) and 25% (orders, whose 0.8 bytes a row
	// leave page headers and statistics a larger share).
	PageBytes int64
	// FileBytes rolls to a new file once the current one has about this many
	// bytes; default 512 MiB. A file is closed only between batches, so it
	// may exceed FileBytes by up to one batch and the footer.
	FileBytes int64
	// Encoders is how many goroutines encode the columns of a batch at the
	// same time; default GOMAXPROCS. The files are the same for any value.
	Encoders int
}

// WithDefaults returns o with every zero or negative field set to its default.
func (o Options) WithDefaults() Options {
	if o.Compression == "" {
		o.Compression = DefaultCompression
	}
	if o.RowGroupBytes <= 0 {
		o.RowGroupBytes = DefaultRowGroupBytes
	}
	if o.FileBytes <= 0 {
		o.FileBytes = DefaultFileBytes
	}
	if o.PageBytes <= 0 {
		o.PageBytes = DefaultPageBytes
	}
	if o.Encoders <= 0 {
		o.Encoders = runtime.GOMAXPROCS(0)
	}
	return o
}

func (o Options) codec() (compress.Compression, error) {
	var codec compress.Compression
	switch strings.ToLower(o.Compression) {
	case "zstd":
		codec = compress.Codecs.Zstd
	case "snappy":
		codec = compress.Codecs.Snappy
	case "gzip":
		codec = compress.Codecs.Gzip
	case "none", "uncompressed":
		codec = compress.Codecs.Uncompressed
	default:
		return 0, fmt.Errorf("parquet compression %q is not supported: use zstd, snappy, gzip or none", o.Compression)
	}
	if l := o.CompressionLevel; l != 0 {
		lo, hi, ok := CompressionLevels(o.Compression)
		if !ok {
			return 0, fmt.Errorf("parquet compression %s has no levels (level %d)", o.Compression, l)
		}
		if l < lo || l > hi {
			return 0, fmt.Errorf("parquet compression level %d: %s levels go from %d to %d", l, o.Compression, lo, hi)
		}
	}
	return codec, nil
}

// CompressionLevels is the range of Options.CompressionLevel for a
// compression; ok is false for one without levels (snappy, none).
func CompressionLevels(compression string) (lo, hi int, ok bool) {
	switch strings.ToLower(compression) {
	case "zstd":
		return 1, 22, true
	case "gzip":
		return 1, 9, true
	}
	return 0, 0, false
}

// Destination is one file being written.
//
// The Writer calls Write any number of times, then exactly one of Commit or
// Abort. Commit makes the bytes written durable and visible under the file's
// name. Abort discards them and must be safe to call after a failed Commit
// and more than once.
type Destination interface {
	io.Writer
	Commit() error
	Abort()
}

// CreateFunc opens destination number seq (0, 1, 2...) and returns the
// file's name as it will be recorded in File.Name. It is called once per
// seq, in order, and only when there is a file to write.
type CreateFunc func(seq int) (name string, dst Destination, err error)

// File describes one committed Parquet file.
type File struct {
	Name string `json:"name"`
	// Rows is the number of rows the Writer wrote into the file.
	Rows int64 `json:"rows"`
	// Bytes is the number of bytes passed to the file's Destination.
	Bytes int64 `json:"bytes"`
	// SHA256 is the lower-case hex SHA-256 of those bytes.
	SHA256 string `json:"sha256"`
}

// Writer encodes the record batches of one Read into a sequence of Parquet
// files. It implements loaders.RecordSink. Use it from one goroutine.
//
// Life cycle: Begin once, Write any number of times, then Close to commit
// the last file, or Abort to discard what is not committed. After any error
// the Writer has aborted its open file and every later call returns the
// same error.
type Writer struct {
	opts   Options
	create CreateFunc

	schema *arrow.Schema
	// baseProps are the writer properties of every column; props adds
	// the choice of dictionaries made from the first batch.
	baseProps  []parquet.WriterProperty
	props      *parquet.WriterProperties
	arrowProps pqarrow.ArrowWriterProperties

	cur   *openFile
	seq   int
	files []File
	err   error
	done  bool
}

var _ loaders.RecordSink = (*Writer)(nil)

var (
	errNotBegun   = errors.New("parquet writer: Begin was not called")
	errClosed     = errors.New("parquet writer: already closed")
	errAborted    = errors.New("parquet writer: aborted")
	errBegunTwice = errors.New("parquet writer: Begin called twice")
)

// NewWriter returns a Writer that opens its files with create. Options are
// completed with WithDefaults; an unknown compression is reported by Begin.
func NewWriter(opts Options, create CreateFunc) *Writer {
	return &Writer{opts: opts.WithDefaults(), create: create}
}

// Begin fixes the schema of every file. It opens no file yet: files are
// opened by the first Write, or by Close when there were no rows.
func (w *Writer) Begin(schema *arrow.Schema, cols []loaders.Column) error {
	if w.err != nil {
		return w.err
	}
	if w.schema != nil {
		return errBegunTwice
	}
	if schema == nil {
		return errors.New("parquet writer: Begin with a nil schema")
	}
	if err := checkShapes(schema); err != nil {
		return err
	}
	codec, err := w.opts.codec()
	if err != nil {
		return err
	}
	w.baseProps = []parquet.WriterProperty{
		parquet.WithVersion(parquet.V2_6),
		parquet.WithCompression(codec),
		parquet.WithStats(true),
		parquet.WithDictionaryDefault(true),
		parquet.WithStoreDecimalAsInteger(true),
		parquet.WithCreatedBy("lake (arrow-go)"),
		parquet.WithDataPageSize(w.opts.PageBytes),
		parquet.WithAllocator(pageBuffers),
	}
	if w.opts.CompressionLevel != 0 {
		w.baseProps = append(w.baseProps, parquet.WithCompressionLevel(w.opts.CompressionLevel))
	}
	w.props = parquet.NewWriterProperties(w.baseProps...)
	// Microseconds everywhere: Trino and Spark read TIMESTAMP(MICROS) best,
	// and Arrow nanosecond timestamps would otherwise become NANOS.
	// (The Arrow schema is stored in the footer by newFileEncoder.)
	w.arrowProps = pqarrow.NewArrowWriterProperties(
		pqarrow.WithCoerceTimestamps(arrow.Microsecond),
	)
	w.schema = schema
	return nil
}

// Write appends rec to the current file, opening it if needed. Row groups
// are cut whenever about RowGroupBytes of Arrow data have been buffered,
// slicing rec if it is larger. After rec, the file is finished and committed
// if it has reached FileBytes; the next batch then goes to a new file. The
// Writer does not keep rec after Write returns.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if err := w.usable(); err != nil {
		return err
	}
	if !rec.Schema().Equal(w.schema) {
		return w.fail(fmt.Errorf("parquet writer: batch schema %s does not match %s", rec.Schema(), w.schema))
	}
	rows := rec.NumRows()
	if rows == 0 {
		return nil
	}
	if w.cur == nil {
		if w.seq == 0 {
			// Every file of the Writer encodes a column the same way.
			w.props = parquet.NewWriterProperties(append(slices.Clone(w.baseProps), encodingOptions(rec)...)...)
		}
		if err := w.open(); err != nil {
			return w.fail(err)
		}
	}
	f := w.cur
	perRow := util.TotalRecordSize(rec) / rows
	if perRow < 1 {
		perRow = 1
	}
	for off := int64(0); off < rows; {
		if f.rowGroupBytes >= w.opts.RowGroupBytes {
			if err := f.enc.endRowGroup(); err != nil {
				return w.fail(fmt.Errorf("write %s: finish row group: %w", f.name, err))
			}
			f.rowGroupBytes = 0
		}
		n := (w.opts.RowGroupBytes - f.rowGroupBytes) / perRow
		n = max(1, min(n, rows-off))
		part := rec
		if off != 0 || n != rows {
			part = rec.NewSlice(off, off+n)
		}
		err := f.enc.write(part)
		if part != rec {
			part.Release()
		}
		if err != nil {
			return w.fail(fmt.Errorf("write %s: %w", f.name, err))
		}
		f.rows += n
		f.rowGroupBytes += n * perRow
		off += n
	}
	if f.size() >= w.opts.FileBytes {
		if err := w.finish(); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// Close finishes and commits the last file and returns every committed file
// in order. It always returns at least one file: when no rows were written,
// that file is a valid Parquet file with the schema and 0 rows.
//
// On error, the files committed before the failure are returned with it and
// stay where they are; the caller owns their removal.
func (w *Writer) Close() ([]File, error) {
	if err := w.usable(); err != nil {
		return w.committed(), err
	}
	if w.cur == nil && len(w.files) == 0 {
		if err := w.open(); err != nil {
			return w.committed(), w.fail(err)
		}
	}
	if w.cur != nil {
		if err := w.finish(); err != nil {
			return w.committed(), w.fail(err)
		}
	}
	w.done = true
	w.err = errClosed
	return w.committed(), nil
}

// Abort discards the file being written, if any; committed files stay. It
// is safe to call at any time, more than once, and after Close.
func (w *Writer) Abort() {
	w.abortCurrent()
	if w.err == nil {
		w.err = errAborted
	}
}

func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.schema == nil {
		return errNotBegun
	}
	return nil
}

func (w *Writer) committed() []File {
	return append([]File(nil), w.files...)
}

// fail aborts the open file and makes err sticky.
func (w *Writer) fail(err error) error {
	w.abortCurrent()
	if w.err == nil {
		w.err = err
	}
	return err
}

func (w *Writer) abortCurrent() {
	if w.cur != nil {
		w.cur.dst.Abort()
		w.cur = nil
	}
}

// openFile is the file currently being written.
type openFile struct {
	name    string
	dst     Destination
	counted *countingWriter
	buf     *bufio.Writer
	enc     *fileEncoder
	rows    int64
	// rowGroupBytes estimates the Arrow bytes buffered in the open row group.
	rowGroupBytes int64
}

// size estimates the file's bytes so far: what reached the destination, what
// waits in the buffer, and the compressed pages of the open row group.
func (f *openFile) size() int64 {
	return f.counted.n + int64(f.buf.Buffered()) + f.enc.rowGroupBytes()
}

// ioBufferSize groups the many small page-header writes into larger writes.
const ioBufferSize = 256 << 10

func (w *Writer) open() error {
	seq := w.seq
	name, dst, err := w.create(seq)
	if err != nil {
		return fmt.Errorf("create parquet file %d: %w", seq, err)
	}
	w.seq++
	counted := &countingWriter{dst: dst, sum: sha256.New()}
	buf := bufio.NewWriterSize(counted, ioBufferSize)
	enc, err := newFileEncoder(w.schema, buf, w.props, w.arrowProps, w.opts.Encoders)
	if err != nil {
		dst.Abort()
		return fmt.Errorf("start parquet file %s: %w", name, err)
	}
	w.cur = &openFile{name: name, dst: dst, counted: counted, buf: buf, enc: enc}
	return nil
}

// finish writes the footer, commits the destination and records the file.
func (w *Writer) finish() error {
	f := w.cur
	if err := f.enc.close(); err != nil {
		return fmt.Errorf("finish parquet file %s: %w", f.name, err)
	}
	if err := f.buf.Flush(); err != nil {
		return fmt.Errorf("write parquet file %s: %w", f.name, err)
	}
	if err := f.dst.Commit(); err != nil {
		return fmt.Errorf("commit parquet file %s: %w", f.name, err)
	}
	w.cur = nil
	w.files = append(w.files, File{
		Name:   f.name,
		Rows:   f.rows,
		Bytes:  f.counted.n,
		SHA256: hex.EncodeToString(f.counted.sum.Sum(nil)),
	})
	return nil
}

// countingWriter counts and hashes exactly the bytes the destination accepted.
// It has no Close method on purpose: the Parquet writer closes its sink when
// it implements io.Closer, and only Commit or Abort may end a Destination.
type countingWriter struct {
	dst Destination
	sum hash.Hash
	n   int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.dst.Write(p)
	c.sum.Write(p[:n])
	c.n += int64(n)
	return n, err
}
