package sqlite

import "testing"

// SQLite turns numeric text in DECIMAL columns into reals before lake sees
// it, so the text and many-digit paths of parseDecimal are tested directly.
func TestParseDecimal(t *testing.T) {
	tests := []struct {
		text        string
		prec, scale int32
		want        string // "" means an error
	}{
		{"12.34", 12, 2, "12.34"},
		{"+3", 5, 2, "3.00"},
		{"-0.005", 5, 2, "-0.01"},
		{"0.004", 5, 2, "0.00"},
		{".5", 3, 0, "1"},
		{"-.5", 3, 0, "-1"},
		{"1.", 3, 1, "1.0"},
		{"1e3", 6, 2, "1000.00"},
		{"1.5E-3", 6, 3, "0.002"},
		{"999.995", 5, 2, ""},
		{"999.994", 5, 2, "999.99"},
		{"00000000000000000000012.5", 4, 1, "12.5"},
		// More than 18 digits: the math/big path.
		{"12345678901234567890.123456789", 38, 10, "12345678901234567890.1234567890"},
		{"1.00000000000000000005", 38, 20, "1.00000000000000000005"},
		{"1.000000000000000000005", 38, 20, "1.00000000000000000001"},
		{"-1.000000000000000000005", 38, 20, "-1.00000000000000000001"},
		{"99999999999999999999999999999999999999", 38, 0, "99999999999999999999999999999999999999"},
		{"100000000000000000000000000000000000000", 38, 0, ""},
		{"1e38", 38, 0, ""},
		{"", 5, 2, ""},
		{".", 5, 2, ""},
		{"-", 5, 2, ""},
		{"1e", 5, 2, ""},
		{"e5", 5, 2, ""},
		{"1/3", 5, 2, ""},
		{"0x10", 5, 2, ""},
		{"1 000", 5, 2, ""},
		{"NaN", 5, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			n, err := parseDecimal(tt.text, tt.prec, tt.scale)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("parseDecimal(%q, %d, %d) = %s, want an error", tt.text, tt.prec, tt.scale, n.ToString(tt.scale))
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDecimal(%q, %d, %d): %v", tt.text, tt.prec, tt.scale, err)
			}
			if got := n.ToString(tt.scale); got != tt.want {
				t.Errorf("parseDecimal(%q, %d, %d) = %s, want %s", tt.text, tt.prec, tt.scale, got, tt.want)
			}
		})
	}
}
