package mysql

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// errZeroDate is returned for MySQL's zero dates ('0000-00-00') and dates
// with a zero month or day: Arrow has no such value, and NULL or any date
// in their place would be invented data.
var errZeroDate = errors.New("is a MySQL zero date, which has no Arrow value; " +
	"turn it into NULL in a query (for example NULLIF(col, 0)) or filter it out")

// errInvalidDate is returned for dates that only ALLOW_INVALID_DATES lets
// MySQL store ('2024-02-31').
var errInvalidDate = errors.New("is not a calendar date; fix it at the source or filter it out in a query")

// parseDate parses "YYYY-MM-DD" into days since 1970-01-01.
func parseDate(p []byte) (int32, error) {
	if len(p) != 10 || p[4] != '-' || p[7] != '-' {
		return 0, fmt.Errorf("date %q is not YYYY-MM-DD", p)
	}
	y, ok1 := digits(p[0:4])
	m, ok2 := digits(p[5:7])
	d, ok3 := digits(p[8:10])
	if !ok1 || !ok2 || !ok3 {
		return 0, fmt.Errorf("date %q is not YYYY-MM-DD", p)
	}
	if err := checkDate(y, m, d); err != nil {
		return 0, fmt.Errorf("date %s %w", p, err)
	}
	return int32(daysFromCivil(y, m, d)), nil
}

// parseDateTime parses "YYYY-MM-DD HH:MM:SS[.f...]" (up to 6 fraction
// digits) into microseconds since 1970-01-01 00:00:00.
func parseDateTime(p []byte) (int64, error) {
	if len(p) < 19 || p[4] != '-' || p[7] != '-' || p[10] != ' ' || p[13] != ':' || p[16] != ':' {
		return 0, fmt.Errorf("datetime %q is not YYYY-MM-DD HH:MM:SS", p)
	}
	y, ok1 := digits(p[0:4])
	mo, ok2 := digits(p[5:7])
	d, ok3 := digits(p[8:10])
	h, ok4 := digits(p[11:13])
	mi, ok5 := digits(p[14:16])
	s, ok6 := digits(p[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 {
		return 0, fmt.Errorf("datetime %q is not YYYY-MM-DD HH:MM:SS", p)
	}
	var us int
	if frac := p[19:]; len(frac) > 0 {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 7 {
			return 0, fmt.Errorf("datetime %q has a malformed fraction", p)
		}
		f, ok := digits(frac[1:])
		if !ok {
			return 0, fmt.Errorf("datetime %q has a malformed fraction", p)
		}
		us = f
		for range 7 - len(frac) {
			us *= 10
		}
	}
	if err := checkDate(y, mo, d); err != nil {
		return 0, fmt.Errorf("datetime %s %w", p, err)
	}
	if h > 23 || mi > 59 || s > 59 {
		return 0, fmt.Errorf("datetime %s has an invalid time of day", p)
	}
	secs := daysFromCivil(y, mo, d)*86400 + int64(h)*3600 + int64(mi)*60 + int64(s)
	return secs*1_000_000 + int64(us), nil
}

// checkDate rejects zero dates and dates that are not on the calendar.
func checkDate(y, m, d int) error {
	if m == 0 || d == 0 {
		return errZeroDate
	}
	if m > 12 || d > daysIn(y, m) {
		return errInvalidDate
	}
	return nil
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to a proleptic Gregorian
// date (Howard Hinnant's algorithm), without time.Time's overhead.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// digits parses a run of ASCII digits (at most 9 of them).
func digits(p []byte) (int, bool) {
	if len(p) == 0 || len(p) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseDecimal turns the decimal text MySQL sends ("-12.50") into a
// decimal128 of the given precision and scale. It fails for more fraction
// digits than the scale and for more digits than the precision, rather than
// round or overflow.
func parseDecimal(s []byte, precision, scale int32) (decimal128.Num, error) {
	neg := false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	if len(s) == 0 {
		return decimal128.Num{}, errors.New("not a number")
	}
	var hi, lo uint64
	// mul10add sets hi:lo to hi:lo*10 + d; 38 digits fit in 127 bits, so
	// the digit count check below comes before any overflow.
	mul10add := func(d uint64) {
		h1, l := bits.Mul64(lo, 10)
		h := hi*10 + h1
		l, c := bits.Add64(l, d, 0)
		hi, lo = h+c, l
	}
	intDigits, frac, point := 0, 0, false
	for _, c := range s {
		switch {
		case c == '.' && !point:
			point = true
		case c >= '0' && c <= '9':
			if point {
				frac++
			} else if intDigits > 0 || c != '0' {
				// Leading zeros of the integer part are not digits.
				intDigits++
			}
			if intDigits+frac > decimal128.MaxPrecision {
				return decimal128.Num{}, errors.New("more than 38 digits")
			}
			mul10add(uint64(c - '0'))
		default:
			return decimal128.Num{}, errors.New("not a number")
		}
	}
	if frac > int(scale) {
		return decimal128.Num{}, fmt.Errorf("%d fraction digits, scale is %d", frac, scale)
	}
	if intDigits > int(precision-scale) {
		return decimal128.Num{}, fmt.Errorf("%d integer digits, precision %d and scale %d allow %d", intDigits, precision, scale, precision-scale)
	}
	for ; frac < int(scale); frac++ {
		mul10add(0)
	}
	n := decimal128.New(int64(hi), lo)
	if neg {
		n = n.Negate()
	}
	return n, nil
}
