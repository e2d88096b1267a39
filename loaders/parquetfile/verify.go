package parquetfile

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go"
)

// Errors returned by Verify, to be tested with errors.Is.
var (
	// ErrInvalidFile means the file is not a complete Parquet file: no
	// footer, a footer that does not decode, or metadata that points
	// outside the file (a truncated upload, for example).
	ErrInvalidFile = errors.New("invalid parquet file")
	// ErrSchemaMismatch means the file's top-level columns are not the
	// expected ones, in the expected order.
	ErrSchemaMismatch = errors.New("parquet schema mismatch")
)

// Verify opens the size bytes of r with parquet-go, an implementation
// independent of the arrow-go writer, and returns the number of rows its
// footer records. It checks that the footer is valid, that the row groups'
// row counts add up, that every column chunk lies inside the file, and that
// the top-level column names equal want's field names in order.
//
// Verify reads the footer only, not the pages, so it is cheap on object
// storage; errors wrap ErrInvalidFile or ErrSchemaMismatch.
func Verify(r io.ReaderAt, size int64, want *arrow.Schema) (rows int64, err error) {
	f, err := parquet.OpenFile(r, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, fmt.Errorf("verify parquet: %w: %w", ErrInvalidFile, err)
	}
	meta := f.Metadata()

	var sum int64
	leaves := len(f.Schema().Columns())
	for i, rg := range meta.RowGroups {
		sum += rg.NumRows
		if len(rg.Columns) != leaves {
			return 0, fmt.Errorf("verify parquet: %w: row group %d has %d column chunks, schema has %d columns",
				ErrInvalidFile, i, len(rg.Columns), leaves)
		}
		for j, cc := range rg.Columns {
			md := cc.MetaData
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			// 4 bytes of magic precede the first chunk; the footer, its
			// length and the closing magic follow the last one.
			if start < 4 || md.TotalCompressedSize < 0 || start+md.TotalCompressedSize > size-8 {
				return 0, fmt.Errorf("verify parquet: %w: row group %d column %d spans bytes %d..%d of a %d-byte file",
					ErrInvalidFile, i, j, start, start+md.TotalCompressedSize, size)
			}
		}
	}
	if sum != meta.NumRows {
		return 0, fmt.Errorf("verify parquet: %w: row groups hold %d rows, footer says %d", ErrInvalidFile, sum, meta.NumRows)
	}

	got := f.Schema().Fields()
	if len(got) != want.NumFields() {
		return 0, fmt.Errorf("verify parquet: %w: file has %d columns %v, want %d %v",
			ErrSchemaMismatch, len(got), fieldNames(got), want.NumFields(), arrowNames(want))
	}
	for i, field := range got {
		if field.Name() != want.Field(i).Name {
			return 0, fmt.Errorf("verify parquet: %w: column %d is %q, want %q",
				ErrSchemaMismatch, i, field.Name(), want.Field(i).Name)
		}
	}
	return meta.NumRows, nil
}

func fieldNames(fields []parquet.Field) []string {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name()
	}
	return names
}

func arrowNames(s *arrow.Schema) []string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return names
}
