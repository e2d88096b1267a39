package lake

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultMaxDSAge is how far in the past a run's ds may be when lake.yaml
// says nothing: enough to re-run a failed night the next morning, or after
// a weekend.
const DefaultMaxDSAge = Days(2)

// DefaultTailDay is the weekday of the tail import when incremental: names
// none.
const DefaultTailDay = Weekday(time.Sunday)

// IncrementalConfig makes a table incremental: every night only the recent
// window (rows with Column >= B) is read from the source; the historic tail
// (Column < B or NULL) is read on TailDay and carried over on other days.
// The zero value means the table is read in full every night.
type IncrementalConfig struct {
	// Column is a date or timestamp column of the table or query.
	Column string `yaml:"column"`
	// Window is how far back from ds the boundary B is fixed on a tail
	// import: B = ds - Window.
	Window Days `yaml:"window"`
	// TailDay is the weekday whose ds re-imports the tail.
	TailDay Weekday `yaml:"tail_day"`
}

// Enabled reports whether the table is incremental.
func (c IncrementalConfig) Enabled() bool { return c.Column != "" }

// Days is a number of days, written in lake.yaml as "90d" or "12w".
type Days int

var daysRE = regexp.MustCompile(`^([0-9]+)\s*([dw])$`)

// ParseDays parses "90d" (days) or "12w" (weeks).
func ParseDays(s string) (Days, error) {
	m := daysRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%q is not a number of days; expected days or weeks such as 90d or 12w", s)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n > 100*366 {
		return 0, fmt.Errorf("%q is too long; expected at most 100 years of days", s)
	}
	if m[2] == "w" {
		n *= 7
	}
	return Days(n), nil
}

// UnmarshalYAML reads "90d" or "12w".
func (d *Days) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected days or weeks such as 90d or 12w, got %s", describe(n))
	}
	v, err := ParseDays(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Days) String() string { return strconv.Itoa(int(d)) + "d" }

// Weekday is a day of the week, written in lake.yaml as its English name.
type Weekday time.Weekday

// ParseWeekday parses "sunday" ... "saturday" (any case) or "sun" ... "sat".
func ParseWeekday(s string) (Weekday, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if v == name || v == name[:3] {
			return Weekday(d), nil
		}
	}
	return 0, fmt.Errorf("%q is not a weekday; expected one of: monday, tuesday, wednesday, thursday, friday, saturday, sunday", s)
}

// UnmarshalYAML reads a weekday name.
func (w *Weekday) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a weekday such as sunday, got %s", describe(n))
	}
	v, err := ParseWeekday(n.Value)
	if err != nil {
		return err
	}
	*w = v
	return nil
}

func (w Weekday) String() string { return strings.ToLower(time.Weekday(w).String()) }

// validateIncremental checks tables[i].incremental, if present.
func (v *validator) validateIncremental(i int, t TableConfig) {
	key := indexKey("tables", i) + ".incremental"
	if !v.c.present(key) {
		return
	}
	inc := t.Incremental
	if strings.TrimSpace(inc.Column) == "" {
		v.add(key+".column", "required; expected the date or timestamp column that splits recent rows from the tail, e.g. created_at")
	}
	if inc.Window <= 0 && !v.c.failed[key+".window"] {
		v.add(key+".window", "required and greater than 0; expected the recent window re-imported every night, e.g. 90d or 12w")
	}
}

// validateMaxDSAge checks max_ds_age.
func (v *validator) validateMaxDSAge() {
	if v.c.MaxDSAge < 0 {
		v.add("max_ds_age", "must not be negative; expected days such as 2d")
	}
}
