package mysql

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/lake-engine/lake/loaders"
)

// In the binary protocol the driver hands over integers (YEAR too) as
// int64, BIGINT UNSIGNED above 2^63-1 as its decimal text, FLOAT as float32,
// DOUBLE as float64, dates and datetimes as their text
// ("2024-02-29 12:00:00.5"), and everything else (DECIMAL as its text,
// strings, blobs, BIT) as []byte slices of its read buffer, valid until the
// next row.

// appender stores one non-NULL value into the builder it was bound to.
// NULLs never reach it: the reader appends those itself.
type appender func(v driver.Value) error

// binder binds an appender to the builder that array.NewBuilder made for the
// mapping's Arrow type.
type binder func(b array.Builder) appender

// mapping is how one result column type is stored: its Arrow type and how a
// value is appended.
type mapping struct {
	arrow arrow.DataType
	bind  binder
}

// resolvedColumn is one result column ready to read.
type resolvedColumn struct {
	loaders.Column
	mapping
}

var (
	int8Type  = arrow.PrimitiveTypes.Int8
	int16Type = arrow.PrimitiveTypes.Int16
	int32Type = arrow.PrimitiveTypes.Int32
	int64Type = arrow.PrimitiveTypes.Int64
	utf8Type  = arrow.BinaryTypes.String
	binType   = arrow.BinaryTypes.Binary
	// uint64Type holds BIGINT UNSIGNED whole: 20 digits cover 2^64-1.
	uint64Type = &arrow.Decimal128Type{Precision: 20, Scale: 0}
)

// integerTypes maps the driver's integer type names to the signed Arrow
// integer that holds every value: the same width, or the next wider one for
// unsigned types.
var integerTypes = map[string]struct {
	source string
	arrow  arrow.DataType
	min    int64
	max    int64
}{
	"TINYINT":            {"tinyint", int8Type, math.MinInt8, math.MaxInt8},
	"UNSIGNED TINYINT":   {"tinyint unsigned", int16Type, 0, math.MaxUint8},
	"SMALLINT":           {"smallint", int16Type, math.MinInt16, math.MaxInt16},
	"UNSIGNED SMALLINT":  {"smallint unsigned", int32Type, 0, math.MaxUint16},
	"MEDIUMINT":          {"mediumint", int32Type, -1 << 23, 1<<23 - 1},
	"UNSIGNED MEDIUMINT": {"mediumint unsigned", int32Type, 0, 1<<24 - 1},
	"INT":                {"int", int32Type, math.MinInt32, math.MaxInt32},
	"UNSIGNED INT":       {"int unsigned", int64Type, 0, math.MaxUint32},
	"BIGINT":             {"bigint", int64Type, math.MinInt64, math.MaxInt64},
	"YEAR":               {"year", int16Type, 0, 9999},
}

// textTypes are stored as utf8 (the session sends them in utf8mb4).
var textTypes = map[string]bool{
	"CHAR": true, "VARCHAR": true, "TINYTEXT": true, "TEXT": true, "MEDIUMTEXT": true, "LONGTEXT": true,
	"ENUM": true, "SET": true, "JSON": true,
}

// binaryTypes are stored as binary: the same names with the binary charset.
var binaryTypes = map[string]bool{
	"BINARY": true, "VARBINARY": true, "TINYBLOB": true, "BLOB": true, "MEDIUMBLOB": true, "LONGBLOB": true,
}

// columnTypes is what resolveColumns needs of a result: the driver's rows
// implement it.
type columnTypes interface {
	Columns() []string
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypePrecisionScale
}

// resolveColumns maps every result column, failing with an
// *loaders.UnsupportedTypeError for the first one lake cannot store.
func resolveColumns(table string, rows driver.Rows) ([]resolvedColumn, error) {
	ct, ok := rows.(columnTypes)
	if !ok {
		return nil, fmt.Errorf("driver rows %T do not describe their column types", rows)
	}
	names := ct.Columns()
	cols := make([]resolvedColumn, len(names))
	for i, name := range names {
		precision, scale, hasPS := ct.ColumnTypePrecisionScale(i)
		if !hasPS {
			precision, scale = -1, -1
		}
		source, m, ok := resolve(ct.ColumnTypeDatabaseTypeName(i), precision, scale)
		if !ok {
			return nil, &loaders.UnsupportedTypeError{Table: table, Column: name, Type: source, Cast: "CAST(" + name + " AS CHAR)"}
		}
		cols[i] = resolvedColumn{
			Column:  loaders.Column{Name: name, SourceType: source, Arrow: m.arrow},
			mapping: m,
		}
	}
	return cols, nil
}

// resolve maps the driver's type name (such as "UNSIGNED BIGINT") with the
// precision and scale it reports (-1 when none) to the source type lake
// records and its mapping. ok is false for a type lake cannot store.
func resolve(dbType string, precision, scale int64) (source string, m mapping, ok bool) {
	if it, found := integerTypes[dbType]; found {
		return it.source, mapping{arrow: it.arrow, bind: bindInteger(it.arrow, it.min, it.max)}, true
	}
	switch {
	case dbType == "UNSIGNED BIGINT":
		return "bigint unsigned", mapping{arrow: uint64Type, bind: bindUint64}, true
	case dbType == "DECIMAL":
		source = fmt.Sprintf("decimal(%d,%d)", precision, scale)
		if precision >= 1 && precision <= decimal128.MaxPrecision && scale >= 0 && scale <= precision {
			t := &arrow.Decimal128Type{Precision: int32(precision), Scale: int32(scale)}
			return source, mapping{arrow: t, bind: bindDecimal(t)}, true
		}
		return source, mapping{arrow: utf8Type, bind: bindText}, true
	case dbType == "FLOAT":
		return "float", mapping{arrow: arrow.PrimitiveTypes.Float32, bind: bindFloat32}, true
	case dbType == "DOUBLE":
		return "double", mapping{arrow: arrow.PrimitiveTypes.Float64, bind: bindFloat64}, true
	case dbType == "BIT":
		return "bit", mapping{arrow: int64Type, bind: bindBit}, true
	case dbType == "DATE":
		return "date", mapping{arrow: arrow.FixedWidthTypes.Date32, bind: bindDate}, true
	case dbType == "DATETIME":
		return withFraction("datetime", scale), mapping{arrow: &arrow.TimestampType{Unit: arrow.Microsecond}, bind: bindTimestamp}, true
	case dbType == "TIMESTAMP":
		return withFraction("timestamp", scale), mapping{arrow: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, bind: bindTimestamp}, true
	case dbType == "NULL":
		// Only NULLs: any type holds them; utf8 is what a cast would give.
		return "null", mapping{arrow: utf8Type, bind: bindText}, true
	case textTypes[dbType]:
		return strings.ToLower(dbType), mapping{arrow: utf8Type, bind: bindText}, true
	case binaryTypes[dbType]:
		return strings.ToLower(dbType), mapping{arrow: binType, bind: bindBinary}, true
	case dbType == "":
		return "unknown", mapping{}, false
	}
	return strings.ToLower(dbType), mapping{}, false
}

// withFraction names a datetime type with its fractional digits, as
// "datetime(6)"; the driver reports them as the scale.
func withFraction(name string, digits int64) string {
	if digits >= 1 && digits <= 6 {
		return fmt.Sprintf("%s(%d)", name, digits)
	}
	return name
}

// errType reports a value whose Go type the driver does not use for the
// column's type; it means a driver change, not bad data.
func errType(v driver.Value) error {
	return fmt.Errorf("unexpected driver value of type %T", v)
}

func bindInteger(t arrow.DataType, lo, hi int64) binder {
	check := func(v driver.Value) (int64, error) {
		n, ok := v.(int64)
		if !ok {
			return 0, errType(v)
		}
		if n < lo || n > hi {
			return 0, fmt.Errorf("%d is out of the column type's range", n)
		}
		return n, nil
	}
	return func(b array.Builder) appender {
		switch t.ID() {
		case arrow.INT8:
			ib := b.(*array.Int8Builder)
			return func(v driver.Value) error {
				n, err := check(v)
				if err != nil {
					return err
				}
				ib.Append(int8(n))
				return nil
			}
		case arrow.INT16:
			ib := b.(*array.Int16Builder)
			return func(v driver.Value) error {
				n, err := check(v)
				if err != nil {
					return err
				}
				ib.Append(int16(n))
				return nil
			}
		case arrow.INT32:
			ib := b.(*array.Int32Builder)
			return func(v driver.Value) error {
				n, err := check(v)
				if err != nil {
					return err
				}
				ib.Append(int32(n))
				return nil
			}
		default:
			ib := b.(*array.Int64Builder)
			return func(v driver.Value) error {
				n, err := check(v)
				if err != nil {
					return err
				}
				ib.Append(n)
				return nil
			}
		}
	}
}

// bindUint64 stores BIGINT UNSIGNED as decimal(20,0). The driver sends
// values up to 2^63-1 as int64 and larger ones as their decimal text.
func bindUint64(b array.Builder) appender {
	db := b.(*array.Decimal128Builder)
	return func(v driver.Value) error {
		var u uint64
		switch v := v.(type) {
		case int64:
			if v < 0 {
				return fmt.Errorf("bigint unsigned value %d is negative", v)
			}
			u = uint64(v)
		case []byte:
			var err error
			if u, err = parseUint64(v); err != nil {
				return err
			}
		case string:
			var err error
			if u, err = strconv.ParseUint(v, 10, 64); err != nil {
				return fmt.Errorf("bigint unsigned value %q: %w", v, err)
			}
		default:
			return errType(v)
		}
		db.Append(decimal128.New(0, u))
		return nil
	}
}

func parseUint64(b []byte) (uint64, error) {
	if len(b) == 0 || len(b) > 20 {
		return 0, fmt.Errorf("bigint unsigned value %q is not a number", b)
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bigint unsigned value %q is not a number", b)
		}
		d := uint64(c - '0')
		if u > (math.MaxUint64-d)/10 {
			return 0, fmt.Errorf("bigint unsigned value %q is out of range", b)
		}
		u = u*10 + d
	}
	return u, nil
}

func bindFloat32(b array.Builder) appender {
	fb := b.(*array.Float32Builder)
	return func(v driver.Value) error {
		f, ok := v.(float32)
		if !ok {
			return errType(v)
		}
		fb.Append(f)
		return nil
	}
}

func bindFloat64(b array.Builder) appender {
	fb := b.(*array.Float64Builder)
	return func(v driver.Value) error {
		f, ok := v.(float64)
		if !ok {
			return errType(v)
		}
		fb.Append(f)
		return nil
	}
}

// bytesOf returns the bytes of a string-like driver value.
func bytesOf(v driver.Value) ([]byte, error) {
	switch v := v.(type) {
	case []byte:
		return v, nil
	case string:
		return []byte(v), nil
	}
	return nil, errType(v)
}

func bindText(b array.Builder) appender {
	sb := b.(*array.StringBuilder)
	return func(v driver.Value) error {
		p, err := bytesOf(v)
		if err != nil {
			return err
		}
		// BinaryBuilder.Append copies, so the driver's buffer can be reused.
		sb.BinaryBuilder.Append(p)
		return nil
	}
}

func bindBinary(b array.Builder) appender {
	bb := b.(*array.BinaryBuilder)
	return func(v driver.Value) error {
		p, err := bytesOf(v)
		if err != nil {
			return err
		}
		bb.Append(p)
		return nil
	}
}

// errBitTooBig is returned for a BIT(64) value with its top bit set.
var errBitTooBig = errors.New("does not fit int64; read CAST(col AS UNSIGNED) in a query to keep it as bigint unsigned")

// bindBit stores BIT(n), sent as ceil(n/8) big-endian bytes, as int64.
func bindBit(b array.Builder) appender {
	ib := b.(*array.Int64Builder)
	return func(v driver.Value) error {
		p, err := bytesOf(v)
		if err != nil {
			return err
		}
		if len(p) > 8 {
			return fmt.Errorf("bit value of %d bytes: %w", len(p), errBitTooBig)
		}
		var u uint64
		for _, c := range p {
			u = u<<8 | uint64(c)
		}
		if u > math.MaxInt64 {
			return fmt.Errorf("bit value %#x %w", u, errBitTooBig)
		}
		ib.Append(int64(u))
		return nil
	}
}

func bindDecimal(t *arrow.Decimal128Type) binder {
	return func(b array.Builder) appender {
		db := b.(*array.Decimal128Builder)
		return func(v driver.Value) error {
			p, err := bytesOf(v)
			if err != nil {
				return err
			}
			n, err := parseDecimal(p, t.Precision, t.Scale)
			if err != nil {
				return fmt.Errorf("decimal %s does not fit %s: %w", p, t, err)
			}
			db.Append(n)
			return nil
		}
	}
}

func bindDate(b array.Builder) appender {
	db := b.(*array.Date32Builder)
	return func(v driver.Value) error {
		p, err := bytesOf(v)
		if err != nil {
			return err
		}
		days, err := parseDate(p)
		if err != nil {
			return err
		}
		db.Append(arrow.Date32(days))
		return nil
	}
}

func bindTimestamp(b array.Builder) appender {
	tb := b.(*array.TimestampBuilder)
	return func(v driver.Value) error {
		p, err := bytesOf(v)
		if err != nil {
			return err
		}
		us, err := parseDateTime(p)
		if err != nil {
			return err
		}
		tb.Append(arrow.Timestamp(us))
		return nil
	}
}
