package mysql

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want int32 // days since 1970-01-01, from Python's datetime
	}{
		{"1970-01-01", 0},
		{"1969-12-31", -1},
		{"2024-02-29", 19782},
		{"2038-01-19", 24855},
		{"2000-03-01", 11017},
		{"1900-03-01", -25508},
		{"1000-01-01", -354285},
		{"0001-01-01", -719162},
		{"9999-12-31", 2932896},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDate([]byte(tt.in))
			if err != nil || got != tt.want {
				t.Errorf("parseDate(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // µs since 1970-01-01 00:00:00, from Python's datetime
	}{
		{"1970-01-01 00:00:00", 0},
		{"1969-07-20 20:17:40", -14182940000000},
		{"1000-01-01 00:00:00", -30610224000000000},
		{"1900-01-01 00:00:00.000001", -2208988799999999},
		{"2038-01-19 03:14:08", 2147483648000000},
		{"9999-12-31 23:59:59.999999", 253402300799999999},
		{"1970-01-01 00:00:00.5", 500000},
		{"1970-01-01 00:00:00.123", 123000},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDateTime([]byte(tt.in))
			if err != nil || got != tt.want {
				t.Errorf("parseDateTime(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDatesWithoutArrowValueFail(t *testing.T) {
	tests := []struct {
		name, in string
		is       error
	}{
		{"zero date", "0000-00-00", errZeroDate},
		{"zero datetime", "0000-00-00 00:00:00", errZeroDate},
		{"zero month", "2024-00-15", errZeroDate},
		{"zero day", "2024-05-00 10:00:00", errZeroDate},
		{"february 31", "2024-02-31", errInvalidDate},
		{"february 29 of a common year", "2023-02-29 00:00:00", errInvalidDate},
		{"month 13", "2024-13-01", errInvalidDate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if len(tt.in) == 10 {
				_, err = parseDate([]byte(tt.in))
			} else {
				_, err = parseDateTime([]byte(tt.in))
			}
			if !errors.Is(err, tt.is) {
				t.Fatalf("error = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.in) {
				t.Errorf("error %q does not show the value %q", err, tt.in)
			}
		})
	}
}

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in               string
		precision, scale int32
		want             string // the unscaled integer
		err              string // part of the error, when it must fail
	}{
		{in: "0.00", precision: 12, scale: 2, want: "0"},
		{in: "-0.01", precision: 12, scale: 2, want: "-1"},
		{in: "1234567890.12", precision: 12, scale: 2, want: "123456789012"},
		{in: "7.5", precision: 12, scale: 2, want: "750"},
		{in: "9999999999999999999999999999.9999999999", precision: 38, scale: 10, want: "99999999999999999999999999999999999999"},
		{in: "-9999999999999999999999999999.9999999999", precision: 38, scale: 10, want: "-99999999999999999999999999999999999999"},
		{in: "0.0000000001", precision: 38, scale: 10, want: "1"},
		{in: "00012", precision: 2, scale: 0, want: "12"},
		{in: "18446744073709551615", precision: 20, scale: 0, want: "18446744073709551615"},
		{in: "123.456", precision: 12, scale: 2, err: "3 fraction digits"},
		{in: "123.45", precision: 4, scale: 2, err: "3 integer digits"},
		{in: "100000000000000000000000000000000000000", precision: 38, scale: 0, err: "more than 38 digits"},
		{in: "1e5", precision: 12, scale: 2, err: "not a number"},
		{in: "", precision: 12, scale: 2, err: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDecimal([]byte(tt.in), tt.precision, tt.scale)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseDecimal(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got.BigInt().String() != tt.want {
				t.Errorf("parseDecimal(%q) = %s, %v; want %s", tt.in, got.BigInt(), err, tt.want)
			}
		})
	}
}

func TestQuoteTable(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "orders", want: "`orders`"},
		{in: "Sales.Order", want: "`Sales`.`Order`"},
		{in: "we`ird", want: "`we``ird`"},
		{in: "a.b.c", err: "want table or db.table"},
		{in: "a.", err: "empty name part"},
	}
	for _, tt := range tests {
		got, err := quoteTable(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("quoteTable(%q) = %q, %v; want an error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("quoteTable(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDSNPassword(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"lake:s3cret@tcp(db:3306)/prod", "s3cret"},
		{"lake:p@ss/w:rd@tcp(db:3306)/prod?tls=true", "p@ss/w:rd"},
		{"lake@tcp(db:3306)/prod", ""},
		{"lake:s3cret@tcp(db:3306", "s3cret"},
	}
	for _, tt := range tests {
		if got := dsnPassword(tt.dsn); got != tt.want {
			t.Errorf("dsnPassword(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}
