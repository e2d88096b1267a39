package lake

import (
	"fmt"
	"slices"
	"strings"
)

// ConfigError is one problem in a config file.
type ConfigError struct {
	// File is the config file as given, e.g. "lake.yaml".
	File string
	// Line is 1-based; 0 when the problem is a key the file leaves out.
	Line int
	// Key is the key path, e.g. "tables[1].source"; "" for the whole file.
	Key string
	// Msg says what is wrong and what is expected.
	Msg string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		b.WriteString(e.File + ": ")
	case e.Line > 0:
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ConfigErrors are all the problems found in one config file, sorted by line,
// one per line of Error. errors.As finds each *ConfigError.
type ConfigErrors []*ConfigError

func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es ConfigErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// sorted sets the file of every error, sorts them by line (problems of the
// whole file first) and drops repeats.
func (es ConfigErrors) sorted(file string) ConfigErrors {
	for _, e := range es {
		e.File = file
	}
	slices.SortStableFunc(es, func(a, b *ConfigError) int { return a.Line - b.Line })
	return slices.CompactFunc(es, func(a, b *ConfigError) bool { return *a == *b })
}
