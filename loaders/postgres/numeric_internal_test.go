package postgres

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// numericBinary encodes a numeric as PostgreSQL sends it in binary.
func numericBinary(sign uint16, weight, dscale int, digits []uint16) []byte {
	v := make([]byte, 8+2*len(digits))
	binary.BigEndian.PutUint16(v, uint16(len(digits)))
	binary.BigEndian.PutUint16(v[2:], uint16(int16(weight)))
	binary.BigEndian.PutUint16(v[4:], sign)
	binary.BigEndian.PutUint16(v[6:], uint16(dscale))
	for i, d := range digits {
		binary.BigEndian.PutUint16(v[8+2*i:], d)
	}
	return v
}

// The fast conversion agrees with the text route (numeric_out, then
// parsing) on every value it accepts, and accepts the usual ones.
func TestDecimalFromNumericAgreesWithTheTextRoute(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	accepted := 0
	for range 200_000 {
		digits := make([]uint16, rng.IntN(6))
		for i := range digits {
			digits[i] = uint16(rng.IntN(10000))
		}
		sign := uint16(numericPos)
		if rng.IntN(2) == 0 {
			sign = numericNeg
		}
		weight, scale := rng.IntN(8)-3, int32(rng.IntN(19))
		// The text shows every digit (a display scale that reaches the
		// last group), without trailing zeros, so that the reference
		// refuses exactly the values that do not fit the decimal's scale.
		dscale := max(0, 4*(len(digits)-1-weight))
		v := numericBinary(sign, weight, dscale, digits)
		fast, ok := decimalFromNumeric(v, scale)
		text, err := appendNumericText(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.IndexByte(text, '.') >= 0 {
			text = bytes.TrimSuffix(bytes.TrimRight(text, "0"), []byte("."))
		}
		slow, err := parseDecimal128(text, scale)
		if !ok {
			continue
		}
		accepted++
		if err != nil || fast != slow {
			t.Fatalf("%s at scale %d: fast %v, text route %v (%v)", text, scale, fast, slow, err)
		}
	}
	if accepted < 20_000 {
		t.Errorf("the fast path took only %d values", accepted)
	}
	// numeric(12,2) values as the server sends them.
	for _, c := range []struct {
		v    []byte
		want int64
	}{
		{numericBinary(numericPos, 0, 2, []uint16{12, 3400}), 1234},
		{numericBinary(numericNeg, -1, 2, []uint16{500}), -5},
		{numericBinary(numericPos, 2, 2, []uint16{1, 2345, 6789, 100}), 123456789_01},
		{numericBinary(numericPos, 0, 0, nil), 0},
	} {
		got, ok := decimalFromNumeric(c.v, 2)
		if !ok || got != decimal128.FromI64(c.want) {
			t.Errorf("%x: %v %v, want %d", c.v, got, ok, c.want)
		}
	}
	for _, v := range [][]byte{
		numericBinary(numericNaN, 0, 0, nil),
		numericBinary(numericPos, -2, 6, []uint16{1}), // 0.00000001 has more fraction digits than 2
	} {
		if _, ok := decimalFromNumeric(v, 2); ok {
			t.Errorf("%x: accepted", v)
		}
	}
}
