package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Sign words of numeric's binary form.
const (
	numericPos  = 0x0000
	numericNeg  = 0x4000
	numericNaN  = 0xC000
	numericPInf = 0xD000
	numericNInf = 0xF000
)

// appendNumericText appends the text Postgres's numeric_out prints for a
// binary numeric: base-10000 digits with a weight (the power of 10000 of the
// first digit) and a display scale (digits after the point).
func appendNumericText(dst, v []byte) ([]byte, error) {
	if len(v) < 8 {
		return dst, fmt.Errorf("%w: numeric header", errMalformed)
	}
	ndigits := int(int16(binary.BigEndian.Uint16(v)))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	dscale := int(binary.BigEndian.Uint16(v[6:]))
	if ndigits < 0 || len(v) != 8+2*ndigits {
		return dst, fmt.Errorf("%w: numeric digits", errMalformed)
	}
	digit := func(i int) int {
		if i < 0 || i >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(v[8+2*i:]))
	}

	switch sign {
	case numericPos:
	case numericNeg:
		dst = append(dst, '-')
	case numericNaN:
		return append(dst, "NaN"...), nil
	case numericPInf:
		return append(dst, "Infinity"...), nil
	case numericNInf:
		return append(dst, "-Infinity"...), nil
	default:
		return dst, fmt.Errorf("%w: numeric sign %#x", errMalformed, sign)
	}

	if weight < 0 {
		dst = append(dst, '0')
	} else {
		for i := 0; i <= weight; i++ {
			d := digit(i)
			if i == 0 {
				// The first group prints without leading zeros.
				dst = appendUint(dst, d)
			} else {
				dst = append4(dst, d)
			}
		}
	}
	if dscale > 0 {
		dst = append(dst, '.')
		end := len(dst) + dscale
		for i := weight + 1; len(dst) < end; i++ {
			dst = append4(dst, digit(i))
		}
		dst = dst[:end]
	}
	return dst, nil
}

func append4(dst []byte, d int) []byte {
	return append(dst, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
}

func appendUint(dst []byte, d int) []byte {
	if d >= 10 {
		dst = appendUint(dst, d/10)
	}
	return append(dst, byte('0'+d%10))
}

var errNotDecimal = errors.New("only finite numbers fit a decimal; cast the column to text in a query to keep NaN and infinities")

// parseDecimal128 turns decimal text ("-12.5") into a decimal128 with the
// given scale. It fails for NaN and infinities, for more fraction digits than
// the scale and for values beyond 38 digits.
func parseDecimal128(s []byte, scale int32) (decimal128.Num, error) {
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg, s = true, s[1:]
	}
	var hi, lo uint64
	frac, point := 0, false
	mul10add := func(d uint64) bool {
		h1, l := bits.Mul64(lo, 10)
		h2, h := bits.Mul64(hi, 10)
		l, c := bits.Add64(l, d, 0)
		h, c2 := bits.Add64(h, h1, c)
		if h2 != 0 || c2 != 0 {
			return false
		}
		hi, lo = h, l
		return true
	}
	if len(s) == 0 {
		return decimal128.Num{}, errNotDecimal
	}
	for _, c := range s {
		switch {
		case c == '.' && !point:
			point = true
		case c >= '0' && c <= '9':
			if point {
				frac++
			}
			if !mul10add(uint64(c - '0')) {
				return decimal128.Num{}, errors.New("more than 38 digits")
			}
		default:
			return decimal128.Num{}, errNotDecimal
		}
	}
	if frac > int(scale) {
		return decimal128.Num{}, fmt.Errorf("%d fraction digits, scale is %d", frac, scale)
	}
	for ; frac < int(scale); frac++ {
		if !mul10add(0) {
			return decimal128.Num{}, errors.New("more than 38 digits")
		}
	}
	// 10^38 is the first value with 39 digits; it still fits 127 bits.
	if hi > 0x4B3B4CA85A86C47A || (hi == 0x4B3B4CA85A86C47A && lo >= 0x098A224000000000) {
		return decimal128.Num{}, errors.New("more than 38 digits")
	}
	n := decimal128.New(int64(hi), lo)
	if neg {
		n = n.Negate()
	}
	return n, nil
}

// pow10 are the powers of ten that fit a uint64.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// decimalFromNumeric converts a binary numeric straight to the unscaled
// value of a decimal of the given scale, with 64-bit arithmetic on its
// base-10000 digits: the common case of money and quantities, without the
// detour through text. It reports false for anything else (NaN, infinity,
// a value of more than about 19 digits, more fraction digits than scale, a
// negative scale), which decodeDecimal's slow path then handles or refuses.
//
// It is on the hot path of tables like TPC-H lineitem (four numerics a
// row): the digits are read as one integer, then scaled by one
// multiplication or, for the usual trailing zeros of the last group, one
// division by a constant, which the compiler turns into a multiplication.
func decimalFromNumeric(v []byte, scale int32) (decimal128.Num, bool) {
	if len(v) < 8 || scale < 0 || scale > 18 {
		return decimal128.Num{}, false
	}
	ndigits := int(int16(binary.BigEndian.Uint16(v)))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	if ndigits < 0 || len(v) != 8+2*ndigits || (sign != numericPos && sign != numericNeg) {
		return decimal128.Num{}, false
	}
	var acc uint64
	for i := range ndigits {
		hi, lo := bits.Mul64(acc, 10000)
		sum, carry := bits.Add64(lo, uint64(binary.BigEndian.Uint16(v[8+2*i:])), 0)
		if hi != 0 || carry != 0 {
			return decimal128.Num{}, false
		}
		acc = sum
	}
	// acc counts units of 10000^(weight-ndigits+1); the decimal counts
	// units of 10^-scale.
	switch e := 4*(weight-ndigits+1) + int(scale); {
	case acc == 0:
	case e > 0:
		if e >= len(pow10) {
			return decimal128.Num{}, false
		}
		hi, lo := bits.Mul64(acc, pow10[e])
		if hi != 0 {
			return decimal128.Num{}, false
		}
		acc = lo
	case e == -1:
		if acc%10 != 0 {
			return decimal128.Num{}, false
		}
		acc /= 10
	case e == -2:
		if acc%100 != 0 {
			return decimal128.Num{}, false
		}
		acc /= 100
	case e == -3:
		if acc%1000 != 0 {
			return decimal128.Num{}, false
		}
		acc /= 1000
	case e < 0:
		// A whole group of four digits below the scale: the server
		// strips zero groups, so these are fraction digits the decimal
		// has no room for (or, if not stripped, the slow path decides).
		return decimal128.Num{}, false
	}
	if acc > math.MaxInt64 {
		return decimal128.Num{}, false
	}
	n := decimal128.FromI64(int64(acc))
	if sign == numericNeg {
		n = n.Negate()
	}
	return n, true
}
