package sqlite

import (
	"database/sql/driver"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/lake-engine/lake/loaders"
)

var errBadConn = driver.ErrBadConn

// kind is what a declared type maps to; see the table in doc.go.
type kind int

const (
	kindText kind = iota
	kindInt
	kindFloat
	kindBlob
	kindBool
	kindDate
	kindTimestamp
	kindDecimal
)

// column is one result column and how its values become Arrow values.
type column struct {
	name     string
	declared string // as the driver reports it: upper case, "" for expressions
	kind     kind
	arrow    arrow.DataType
	prec     int32
	scale    int32
}

// maxDecimalPrecision is the widest decimal128.
const maxDecimalPrecision = 38

var typeArgs = regexp.MustCompile(`^\s*(\d+)\s*(?:,\s*(\d+)\s*)?$`)

// newColumn maps a declared type to a column, following doc.go's table.
func newColumn(table, name, declared string) (column, error) {
	c := column{name: name, declared: declared}
	upper := strings.ToUpper(strings.TrimSpace(declared))
	base, args, hasArgs := strings.Cut(upper, "(")
	base = strings.TrimSpace(base)
	first := ""
	if f := strings.Fields(base); len(f) > 0 {
		first = f[0]
	}

	switch {
	case upper == "":
		c.kind = kindText
	case first == "BOOLEAN" || first == "BOOL":
		c.kind = kindBool
	case first == "DATE":
		c.kind = kindDate
	case first == "DATETIME" || first == "TIMESTAMP":
		c.kind = kindTimestamp
	case (first == "DECIMAL" || first == "NUMERIC") && hasArgs:
		m := typeArgs.FindStringSubmatch(strings.TrimSuffix(strings.TrimSpace(args), ")"))
		if m == nil {
			return c, &loaders.UnsupportedTypeError{Table: table, Column: name, Type: declared, Cast: "CAST(" + name + " AS TEXT)"}
		}
		p, _ := strconv.Atoi(m[1])
		s := 0
		if m[2] != "" {
			s, _ = strconv.Atoi(m[2])
		}
		if p < 1 || p > maxDecimalPrecision || s > p {
			return c, &loaders.UnsupportedTypeError{Table: table, Column: name, Type: declared, Cast: "CAST(" + name + " AS TEXT)"}
		}
		c.kind, c.prec, c.scale = kindDecimal, int32(p), int32(s)
	// SQLite's affinity rules, in SQLite's order.
	case strings.Contains(base, "INT"):
		c.kind = kindInt
	case strings.Contains(base, "CHAR"), strings.Contains(base, "CLOB"), strings.Contains(base, "TEXT"):
		c.kind = kindText
	case strings.Contains(base, "BLOB"):
		c.kind = kindBlob
	case strings.Contains(base, "REAL"), strings.Contains(base, "FLOA"), strings.Contains(base, "DOUB"):
		c.kind = kindFloat
	default:
		c.kind = kindText
	}

	switch c.kind {
	case kindText:
		c.arrow = arrow.BinaryTypes.String
	case kindInt:
		c.arrow = arrow.PrimitiveTypes.Int64
	case kindFloat:
		c.arrow = arrow.PrimitiveTypes.Float64
	case kindBlob:
		c.arrow = arrow.BinaryTypes.Binary
	case kindBool:
		c.arrow = arrow.FixedWidthTypes.Boolean
	case kindDate:
		c.arrow = arrow.FixedWidthTypes.Date32
	case kindTimestamp:
		c.arrow = &arrow.TimestampType{Unit: arrow.Microsecond}
	case kindDecimal:
		c.arrow = &arrow.Decimal128Type{Precision: c.prec, Scale: c.scale}
	}
	return c, nil
}

// valueError says that a stored value does not fit its declared type.
type valueError struct {
	value    any
	declared string
	reason   string
}

func (e *valueError) Error() string {
	declared := e.declared
	if declared == "" {
		declared = "(none)"
	}
	msg := fmt.Sprintf("value %s does not fit declared type %s", describe(e.value), declared)
	if e.reason != "" {
		msg += ": " + e.reason
	}
	return msg
}

// describe shows a value as SQLite stores it, shortened for messages.
func describe(v any) string {
	const maxText, maxBlob = 80, 32
	switch v := v.(type) {
	case string:
		if utf8.RuneCountInString(v) > maxText {
			v = string([]rune(v)[:maxText]) + "..."
		}
		return "'" + strings.ReplaceAll(v, "'", "''") + "' (text)"
	case int64:
		return strconv.FormatInt(v, 10) + " (integer)"
	case float64:
		return formatReal(v) + " (real)"
	case []byte:
		more := ""
		if len(v) > maxBlob {
			v, more = v[:maxBlob], "..."
		}
		return "x'" + hex.EncodeToString(v) + more + "' (blob)"
	case time.Time:
		// The driver parses text in DATE, DATETIME and TIMESTAMP columns.
		layout := "2006-01-02 15:04:05.999999999"
		if v.Location() != time.UTC {
			layout += "-07:00"
		}
		return "'" + v.Format(layout) + "' (text)"
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

// formatReal writes a real as its shortest decimal, without an exponent
// unless the number is very large or very small.
func formatReal(v float64) string {
	if a := math.Abs(v); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// appendValue appends the non-NULL driver value v (int64, float64, string,
// []byte or time.Time) to b.
func (c *column) appendValue(b array.Builder, v any) error {
	bad := func(reason string) error { return &valueError{value: v, declared: c.declared, reason: reason} }
	switch c.kind {
	case kindText:
		switch v := v.(type) {
		case string:
			b.(*array.StringBuilder).Append(v)
		case int64:
			b.(*array.StringBuilder).Append(strconv.FormatInt(v, 10))
		case float64:
			b.(*array.StringBuilder).Append(formatReal(v))
		case []byte:
			if !utf8.Valid(v) {
				return bad("blob is not UTF-8 text")
			}
			b.(*array.StringBuilder).Append(string(v))
		default:
			return bad("")
		}
	case kindInt:
		switch v := v.(type) {
		case int64:
			b.(*array.Int64Builder).Append(v)
		case float64:
			// 2^63 is the first float64 out of int64 range.
			if v != math.Trunc(v) || v < math.MinInt64 || v >= math.MaxInt64 {
				return bad("")
			}
			b.(*array.Int64Builder).Append(int64(v))
		default:
			return bad("")
		}
	case kindFloat:
		switch v := v.(type) {
		case float64:
			b.(*array.Float64Builder).Append(v)
		case int64:
			b.(*array.Float64Builder).Append(float64(v))
		default:
			return bad("")
		}
	case kindBlob:
		switch v := v.(type) {
		case []byte:
			b.(*array.BinaryBuilder).Append(v)
		case string:
			b.(*array.BinaryBuilder).AppendString(v)
		default:
			return bad("")
		}
	case kindBool:
		switch v := v.(type) {
		case int64:
			if v != 0 && v != 1 {
				return bad("want 0 or 1")
			}
			b.(*array.BooleanBuilder).Append(v == 1)
		case float64:
			if v != 0 && v != 1 {
				return bad("want 0 or 1")
			}
			b.(*array.BooleanBuilder).Append(v == 1)
		case string:
			switch {
			case strings.EqualFold(v, "true"):
				b.(*array.BooleanBuilder).Append(true)
			case strings.EqualFold(v, "false"):
				b.(*array.BooleanBuilder).Append(false)
			default:
				return bad("want 0, 1, 'true' or 'false'")
			}
		default:
			return bad("")
		}
	case kindDate:
		var t time.Time
		switch v := v.(type) {
		case string:
			d, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
			if err != nil {
				return bad("want 'YYYY-MM-DD'")
			}
			t = d
		case time.Time:
			if v.Hour() != 0 || v.Minute() != 0 || v.Second() != 0 || v.Nanosecond() != 0 {
				return bad("a date has no time of day")
			}
			t = time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, time.UTC)
		default:
			return bad("want 'YYYY-MM-DD'")
		}
		b.(*array.Date32Builder).Append(arrow.Date32(t.Unix() / 86400))
	case kindTimestamp:
		var t time.Time
		switch v := v.(type) {
		case time.Time:
			t = v
		case string:
			p, ok := parseTimestamp(v)
			if !ok {
				return bad("want 'YYYY-MM-DD HH:MM:SS[.ffffff]'")
			}
			t = p
		case int64:
			// Unix seconds; the bound keeps microseconds inside int64.
			if v > math.MaxInt64/1_000_000 || v < math.MinInt64/1_000_000 {
				return bad("out of range for Unix seconds")
			}
			t = time.Unix(v, 0)
		default:
			return bad("want 'YYYY-MM-DD HH:MM:SS[.ffffff]' or Unix seconds")
		}
		if t.Nanosecond()%1000 != 0 {
			return bad("finer than microseconds")
		}
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(t.UnixMicro()))
	case kindDecimal:
		var text string
		switch v := v.(type) {
		case int64:
			text = strconv.FormatInt(v, 10)
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return bad("")
			}
			text = strconv.FormatFloat(v, 'f', -1, 64)
		case string:
			text = strings.TrimSpace(v)
		default:
			return bad("")
		}
		n, err := parseDecimal(text, c.prec, c.scale)
		if err != nil {
			return bad(err.Error())
		}
		b.(*array.Decimal128Builder).Append(n)
	default:
		return fmt.Errorf("internal error: unknown column kind %d", c.kind)
	}
	return nil
}

// timestampLayouts are the ISO-8601 forms SQLite's date functions accept.
// A fraction is optional in the layouts with seconds.
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTimestamp reads naive text as is and converts text with a zone
// suffix ('Z', '+02:00') to UTC.
func parseTimestamp(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
		if t, err := time.Parse(layout+"Z07:00", s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// isDecimalText reports whether s is a plain decimal number: an optional
// sign, digits with an optional point, and an optional exponent. It is the
// regular expression [+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?, written out
// because it runs once per decimal value.
func isDecimalText(s string) bool {
	digits := func(s string) (n int, rest string) {
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		return n, s[n:]
	}
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	whole, s := digits(s)
	frac := 0
	if s != "" && s[0] == '.' {
		frac, s = digits(s[1:])
	}
	if whole+frac == 0 {
		return false
	}
	if s != "" && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s != "" && (s[0] == '+' || s[0] == '-') {
			s = s[1:]
		}
		var exp int
		if exp, s = digits(s); exp == 0 {
			return false
		}
	}
	return s == ""
}

var pow10 = func() [19]int64 {
	var p [19]int64
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// parseDecimal converts decimal text to an unscaled decimal128 with scale
// digits, rounding half away from zero, and fails when the result needs
// more than prec digits.
func parseDecimal(s string, prec, scale int32) (decimal128.Num, error) {
	if !isDecimalText(s) {
		return decimal128.Num{}, fmt.Errorf("not a number")
	}
	if n, ok := smallDecimal(s, prec, scale); ok {
		return n, nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return decimal128.Num{}, fmt.Errorf("not a number")
	}
	ten := big.NewInt(10)
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(ten, big.NewInt(int64(scale)), nil)))
	q, m := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if m.Sign() != 0 && new(big.Int).Lsh(new(big.Int).Abs(m), 1).Cmp(r.Denom()) >= 0 {
		if r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if new(big.Int).Abs(q).Cmp(new(big.Int).Exp(ten, big.NewInt(int64(prec)), nil)) >= 0 {
		return decimal128.Num{}, fmt.Errorf("more than %d digits", prec)
	}
	return decimal128.FromBigInt(q), nil
}

// smallDecimal is parseDecimal for plain text whose result fits in int64
// without an exponent, the common case, without allocating.
func smallDecimal(s string, prec, scale int32) (decimal128.Num, bool) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if strings.ContainsAny(s, "eE") {
		return decimal128.Num{}, false
	}
	intPart, frac, _ := strings.Cut(s, ".")
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart)+int(scale) > 18 {
		return decimal128.Num{}, false
	}
	var n int64
	for _, d := range intPart {
		n = n*10 + int64(d-'0')
	}
	for i := 0; i < int(scale); i++ {
		n *= 10
		if i < len(frac) {
			n += int64(frac[i] - '0')
		}
	}
	if len(frac) > int(scale) && frac[scale] >= '5' {
		n++
	}
	if prec <= 18 && n >= pow10[prec] {
		return decimal128.Num{}, false // let the slow path say why
	}
	if neg {
		n = -n
	}
	return decimal128.FromI64(n), true
}
