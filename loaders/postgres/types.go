package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/jackc/pgx/v5/pgtype"
)

// The loader reads every column in Postgres's binary format: it is the same
// per-value encoding that COPY ... (FORMAT binary) uses, so the decoders here
// serve both, and decoding needs no per-row allocation.

// appender decodes one non-NULL binary value and appends it to the builder it
// was bound to. NULLs never reach it: the reader appends those itself.
type appender func(v []byte) error

// binder binds an appender to the builder that array.NewBuilder made for the
// mapping's Arrow type.
type binder func(b array.Builder) appender

// mapping is how one Postgres type is stored: its Arrow type, bind, which
// appends a value to an Arrow builder of that type (array elements go that
// way), and column, which makes what a result column of the type collects
// its values in (see column; nil: a builder, through bind).
type mapping struct {
	arrow  arrow.DataType
	bind   binder
	column func(rows int) column
}

// scalarType gives the mapping of a base type for a type modifier (the
// "(12,2)" of numeric(12,2); -1 when there is none).
type scalarType func(typmod int32) mapping

// scalarTypes is the type table: every built-in base type lake stores, by
// OID. Enums and string-category extension types (citext) map to utf8 like
// text; domains map as their base type; one-dimensional arrays of any of
// these map to list<elem>. Everything else is an *loaders.UnsupportedTypeError.
var scalarTypes = map[uint32]scalarType{
	pgtype.Int2OID:        fixedType(arrow.PrimitiveTypes.Int16, decodeInt16, func(c fixedColumn[int16]) column { return &int16Column{c} }),
	pgtype.Int4OID:        fixedType(arrow.PrimitiveTypes.Int32, decodeInt32, func(c fixedColumn[int32]) column { return &int32Column{c} }),
	pgtype.Int8OID:        fixedType(arrow.PrimitiveTypes.Int64, decodeInt64, func(c fixedColumn[int64]) column { return &int64Column{c} }),
	pgtype.NumericOID:     numericType,
	pgtype.Float4OID:      fixedType(arrow.PrimitiveTypes.Float32, decodeFloat32, func(c fixedColumn[float32]) column { return &float32Column{c} }),
	pgtype.Float8OID:      fixedType(arrow.PrimitiveTypes.Float64, decodeFloat64, func(c fixedColumn[float64]) column { return &float64Column{c} }),
	pgtype.BoolOID:        builderType(arrow.FixedWidthTypes.Boolean, bindBool),
	pgtype.TextOID:        textType,
	pgtype.VarcharOID:     textType,
	pgtype.BPCharOID:      textType,
	pgtype.NameOID:        textType,
	pgtype.DateOID:        fixedType(arrow.FixedWidthTypes.Date32, decodeDate, func(c fixedColumn[arrow.Date32]) column { return &dateColumn{c} }),
	pgtype.TimestampOID:   fixedType(&arrow.TimestampType{Unit: arrow.Microsecond}, decodeTimestamp, func(c fixedColumn[arrow.Timestamp]) column { return &timestampColumn{c} }),
	pgtype.TimestamptzOID: fixedType(&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, decodeTimestamp, func(c fixedColumn[arrow.Timestamp]) column { return &timestampColumn{c} }),
	pgtype.UUIDOID:        bytesType(arrow.BinaryTypes.String, uuidText),
	pgtype.JSONOID:        textType,
	pgtype.JSONBOID:       bytesType(arrow.BinaryTypes.String, jsonbText),
	pgtype.ByteaOID:       bytesType(arrow.BinaryTypes.Binary, nil),
}

// builderType maps a type whose values are appended to a builder.
func builderType(t arrow.DataType, bind binder) scalarType {
	return func(int32) mapping { return mapping{arrow: t, bind: bind} }
}

// fixedType maps a type whose values decode to one fixed-width Go type, by
// decode for array elements and into the column wrap makes of a
// fixedColumn for result columns.
func fixedType[T fixedValue](t arrow.DataType, decode func([]byte) (T, error), wrap func(fixedColumn[T]) column) scalarType {
	m := fixedMapping(t, func() func([]byte) (T, error) { return decode }, func(rows int) column {
		return wrap(newFixedColumn[T](t, rows))
	})
	return func(int32) mapping { return m }
}

// fixedMapping is fixedType's mapping. newDecode returns the decoder of one
// builder's values (a decoder may keep scratch space); newColumn makes a
// result column.
func fixedMapping[T fixedValue](t arrow.DataType, newDecode func() func([]byte) (T, error), newColumn func(rows int) column) mapping {
	return mapping{
		arrow: t,
		bind: func(b array.Builder) appender {
			tb := b.(interface{ Append(T) })
			decode := newDecode()
			return func(v []byte) error {
				x, err := decode(v)
				if err != nil {
					return err
				}
				tb.Append(x)
				return nil
			}
		},
		column: newColumn,
	}
}

// bytesType maps a type stored as utf8 or binary. transform, if not nil,
// turns the binary value into the stored bytes, in dst or in place.
func bytesType(t arrow.DataType, transform func(dst, v []byte) ([]byte, error)) scalarType {
	m := mapping{
		arrow: t,
		bind: func(b array.Builder) appender {
			bb, ok := b.(*array.BinaryBuilder)
			if !ok {
				bb = b.(*array.StringBuilder).BinaryBuilder
			}
			var scratch []byte
			return func(v []byte) error {
				if transform != nil {
					var err error
					if scratch, err = transform(scratch[:0], v); err != nil {
						return err
					}
					v = scratch
				}
				// Append copies, so the row buffer can be reused.
				bb.Append(v)
				return nil
			}
		},
		column: func(rows int) column { return newBytesColumn(t, transform, rows) },
	}
	return func(int32) mapping { return m }
}

// textType is every type whose binary form is its text: text, varchar,
// char(n) (padding included, as Postgres returns it), name, json, enums and
// string-category types such as citext.
var textType = bytesType(arrow.BinaryTypes.String, nil)

// numericType maps numeric(p,s) that fits Arrow (1 <= p <= 38, 0 <= s <= p)
// to decimal128(p,s) and any other numeric to its exact decimal text.
func numericType(typmod int32) mapping {
	if p, s, ok := numericPrecision(typmod); ok && p <= decimal128.MaxPrecision && s >= 0 && s <= p {
		t := &arrow.Decimal128Type{Precision: p, Scale: s}
		return fixedMapping(t, func() func([]byte) (decimal128.Num, error) { return decodeDecimal(t) }, func(rows int) column {
			return &decimalColumn{fixedColumn: newFixedColumn[decimal128.Num](t, rows), t: t}
		})
	}
	return mapping{arrow: arrow.BinaryTypes.String, bind: bindNumericText}
}

// numericPrecision decodes numeric's type modifier the way Postgres 15 does
// (the scale is an 11-bit signed field since negative scales exist).
func numericPrecision(typmod int32) (precision, scale int32, ok bool) {
	const varhdrsz = 4
	if typmod < varhdrsz {
		return 0, 0, false
	}
	t := typmod - varhdrsz
	return (t >> 16) & 0xffff, ((t & 0x7ff) ^ 1024) - 1024, true
}

// listType maps a one-dimensional array to list<elem>.
func listType(elem mapping) mapping {
	return mapping{arrow: arrow.ListOf(elem.arrow), bind: bindList(elem.bind)}
}

// errMalformed reports a binary value that does not have the length or shape
// its type promises; it means a server or protocol bug, not bad data.
var errMalformed = errors.New("malformed binary value")

func checkLen(v []byte, n int) error {
	if len(v) != n {
		return lenError(v, n)
	}
	return nil
}

// lenError is checkLen's error, made apart so that checkLen is small
// enough to be inlined into every decoder.
func lenError(v []byte, n int) error {
	return fmt.Errorf("%w: %d bytes, want %d", errMalformed, len(v), n)
}

func decodeInt16(v []byte) (int16, error) {
	if err := checkLen(v, 2); err != nil {
		return 0, err
	}
	return int16(binary.BigEndian.Uint16(v)), nil
}

func decodeInt32(v []byte) (int32, error) {
	if err := checkLen(v, 4); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(v)), nil
}

func decodeInt64(v []byte) (int64, error) {
	if err := checkLen(v, 8); err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func decodeFloat32(v []byte) (float32, error) {
	if err := checkLen(v, 4); err != nil {
		return 0, err
	}
	return math.Float32frombits(binary.BigEndian.Uint32(v)), nil
}

func decodeFloat64(v []byte) (float64, error) {
	if err := checkLen(v, 8); err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v)), nil
}

func bindBool(b array.Builder) appender {
	bb := b.(*array.BooleanBuilder)
	return func(v []byte) error {
		if err := checkLen(v, 1); err != nil {
			return err
		}
		bb.Append(v[0] != 0)
		return nil
	}
}

// jsonbText strips the version byte of jsonb's binary form; what follows
// is the text Postgres prints for the value.
func jsonbText(_, v []byte) ([]byte, error) {
	if len(v) == 0 || v[0] != 1 {
		return nil, fmt.Errorf("%w: unknown jsonb version", errMalformed)
	}
	return v[1:], nil
}

// uuidText appends the canonical text of a binary uuid to dst.
func uuidText(dst, v []byte) ([]byte, error) {
	if err := checkLen(v, 16); err != nil {
		return nil, err
	}
	const hexDigits = "0123456789abcdef"
	for i, c := range v {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return dst, nil
}

// Postgres counts dates and timestamps from 2000-01-01, Arrow from 1970-01-01.
const (
	pgEpochDays   = 10957
	pgEpochMicros = pgEpochDays * 24 * 3600 * 1000000
)

// errInfinity is returned for 'infinity' and '-infinity' dates and
// timestamps: Arrow has no such values and clamping them would invent data.
var errInfinity = errors.New("has no Arrow value; filter it out or cast the column (for example to text) in a query")

func decodeDate(v []byte) (arrow.Date32, error) {
	if err := checkLen(v, 4); err != nil {
		return 0, err
	}
	d := int32(binary.BigEndian.Uint32(v))
	if d == math.MaxInt32 || d == math.MinInt32 {
		return 0, dateError(d)
	}
	// Postgres dates end in 5874897 AD, far inside int32 days from 1970.
	return arrow.Date32(d + pgEpochDays), nil
}

func dateError(d int32) error {
	if d > 0 {
		return fmt.Errorf("date 'infinity' %w", errInfinity)
	}
	return fmt.Errorf("date '-infinity' %w", errInfinity)
}

func decodeTimestamp(v []byte) (arrow.Timestamp, error) {
	if err := checkLen(v, 8); err != nil {
		return 0, err
	}
	us := int64(binary.BigEndian.Uint64(v))
	if us > math.MaxInt64-pgEpochMicros || us == math.MinInt64 {
		return 0, timestampError(us)
	}
	return arrow.Timestamp(us + pgEpochMicros), nil
}

func timestampError(us int64) error {
	switch us {
	case math.MaxInt64:
		return fmt.Errorf("timestamp 'infinity' %w", errInfinity)
	case math.MinInt64:
		return fmt.Errorf("timestamp '-infinity' %w", errInfinity)
	}
	return fmt.Errorf("timestamp %d µs after 2000-01-01 does not fit timestamp[us]", us)
}

// bindNumericText stores numeric as the exact text Postgres prints for it,
// 'NaN', 'Infinity' and '-Infinity' included.
func bindNumericText(b array.Builder) appender {
	sb := b.(*array.StringBuilder)
	var buf []byte
	return func(v []byte) error {
		var err error
		buf, err = appendNumericText(buf[:0], v)
		if err != nil {
			return err
		}
		sb.BinaryBuilder.Append(buf)
		return nil
	}
}

// decodeDecimal returns the decoder of numeric values into decimal type
// t: straight from the binary digits in the common case, through the text
// Postgres would print otherwise (it keeps that text's buffer).
func decodeDecimal(t *arrow.Decimal128Type) func([]byte) (decimal128.Num, error) {
	var text []byte
	return func(v []byte) (decimal128.Num, error) {
		if n, ok := decimalFromNumeric(v, t.Scale); ok {
			return n, nil
		}
		return decimalFromText(&text, v, t)
	}
}

// decimalFromText is the slow path of numeric into decimal type t, for
// what decimalFromNumeric leaves: the value's text is made in *text and
// parsed, which refuses NaN, infinities and values that do not fit.
func decimalFromText(text *[]byte, v []byte, t *arrow.Decimal128Type) (decimal128.Num, error) {
	var err error
	*text, err = appendNumericText((*text)[:0], v)
	if err != nil {
		return decimal128.Num{}, err
	}
	n, err := parseDecimal128(*text, t.Scale)
	if err != nil {
		return decimal128.Num{}, fmt.Errorf("numeric %s does not fit %s: %w", *text, t, err)
	}
	return n, nil
}

// errMultiDim is returned for an array value with more than one dimension:
// the column type says nothing about dimensions, only the values do.
var errMultiDim = errors.New("multi-dimensional arrays cannot be stored as a list; unnest or cast the column in a query")

// bindList decodes a binary array: ndim, has-null flag, element type, then
// per dimension its length and lower bound, then length-prefixed elements
// (length -1 for NULL).
func bindList(elem binder) binder {
	return func(b array.Builder) appender {
		lb := b.(*array.ListBuilder)
		vb := lb.ValueBuilder()
		appendElem := elem(vb)
		return func(v []byte) error {
			if len(v) < 12 {
				return fmt.Errorf("%w: array header", errMalformed)
			}
			ndim := int32(binary.BigEndian.Uint32(v))
			switch {
			case ndim == 0:
				lb.Append(true)
				return nil
			case ndim != 1:
				return fmt.Errorf("array with %d dimensions: %w", ndim, errMultiDim)
			case len(v) < 20:
				return fmt.Errorf("%w: array dimension", errMalformed)
			}
			n := int(int32(binary.BigEndian.Uint32(v[12:])))
			pos := 20
			lb.Append(true)
			for range n {
				if len(v)-pos < 4 {
					return fmt.Errorf("%w: array element length", errMalformed)
				}
				l := int(int32(binary.BigEndian.Uint32(v[pos:])))
				pos += 4
				if l < 0 {
					vb.AppendNull()
					continue
				}
				if len(v)-pos < l {
					return fmt.Errorf("%w: array element", errMalformed)
				}
				if err := appendElem(v[pos : pos+l]); err != nil {
					return fmt.Errorf("array element: %w", err)
				}
				pos += l
			}
			return nil
		}
	}
}
