// ${NAME} expansion of the values of a config file.

package lake

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// expandEnv replaces ${NAME} and ${NAME:-default} in every scalar value
// under n (keys are left alone). Aliases are skipped: their anchor is
// expanded where it is defined.
func (d *decoder) expandEnv(n *yaml.Node, key string, getenv func(string) (string, bool)) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			d.expandEnv(c, key, getenv)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			d.expandEnv(n.Content[i+1], joinKey(key, n.Content[i].Value), getenv)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			d.expandEnv(c, indexKey(key, i), getenv)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		value, problems := expandValue(n.Value, getenv)
		for _, p := range problems {
			d.fail(n.Line, key, "%s", p)
		}
		n.Value = value
	}
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expandValue expands ${NAME} and ${NAME:-default} (the default is used when
// NAME is unset or empty) and turns $${ into a literal ${. Any other $ is
// kept, since passwords may contain it. Problems never quote the value.
func expandValue(s string, getenv func(string) (string, bool)) (string, []string) {
	var b strings.Builder
	var problems []string
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			b.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				problems = append(problems, "unterminated ${; expected ${NAME}, or $${ for a literal ${")
				return b.String(), problems
			}
			inner := s[i+2 : i+2+end]
			i += 2 + end + 1
			name, def, hasDef := strings.Cut(inner, ":-")
			if !envNameRE.MatchString(name) || strings.Contains(def, "${") {
				ref := clip(name)
				if hasDef {
					ref += ":-..." // a default may be a secret
				}
				problems = append(problems, fmt.Sprintf("invalid reference ${%s}; expected ${NAME} or ${NAME:-default}, NAME made of letters, digits and _", ref))
				continue
			}
			val, ok := getenv(name)
			switch {
			case hasDef && val == "":
				val = def
			case !ok:
				problems = append(problems, fmt.Sprintf("environment variable %s is not set", name))
			}
			b.WriteString(val)
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), problems
}

// clip shortens a bad ${...} for an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
