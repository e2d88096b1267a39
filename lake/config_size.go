package lake

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ByteSize is a size in bytes, written in lake.yaml as "128MiB", "1GiB",
// "500MB" or a plain number of bytes.
type ByteSize int64

// byteUnit is a unit a size may be written with.
type byteUnit struct {
	name string
	size int64
}

// byteUnits are in the order String tries them. A plain number is in bytes.
var byteUnits = []byteUnit{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// ParseByteSize parses "128MiB", "1.5GiB", "500MB" or "1048576" (units are
// case-insensitive).
func ParseByteSize(s string) (ByteSize, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, notASize(s)
	}
	unit, ok := unitSize(m[2])
	if !ok {
		return 0, notASize(s)
	}
	if !strings.Contains(m[1], ".") {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > math.MaxInt64/unit {
			return 0, tooLarge(s)
		}
		return ByteSize(n * unit), nil
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, notASize(s)
	}
	f = math.Round(f * float64(unit))
	if f >= math.MaxInt64 {
		return 0, tooLarge(s)
	}
	return ByteSize(f), nil
}

// unitSize is the size of the unit named name, in any case; "" is bytes.
func unitSize(name string) (int64, bool) {
	if name == "" {
		return 1, true
	}
	for _, u := range byteUnits {
		if strings.EqualFold(u.name, name) {
			return u.size, true
		}
	}
	return 0, false
}

func notASize(s string) error {
	return fmt.Errorf("%q is not a size; expected a number with an optional unit (KiB, MiB, GiB, KB, MB, GB)", s)
}

func tooLarge(s string) error {
	return fmt.Errorf("%q is too large; expected a size below 8EiB", s)
}

// UnmarshalYAML reads a size written as a number or a string with a unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a size such as 128MiB, got %s", describe(n))
	}
	size, err := ParseByteSize(n.Value)
	if err != nil {
		return err
	}
	*b = size
	return nil
}

// String writes b with the largest unit that divides it: 128MiB, 500MB, 1000B.
func (b ByteSize) String() string {
	for _, u := range byteUnits {
		if b != 0 && int64(b)%u.size == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", int64(b))
}
