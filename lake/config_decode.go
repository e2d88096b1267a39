// Reading a config file: YAML syntax errors with their line, and a decoder
// that fills Config while recording the line of every key and reporting
// every problem (unknown keys, wrong kinds, duplicates) at once.

package lake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parseRoot returns the top-level mapping of a one-document YAML file.
func parseRoot(data []byte) (*yaml.Node, *ConfigError) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, &ConfigError{Msg: "the file is empty; expected settings such as `warehouse: ./warehouse` and `tables:` (`lake init` writes a commented example)"}
	}
	if err != nil {
		return nil, syntaxError(err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, &ConfigError{Line: firstLine(&next), Msg: "a second YAML document starts here; expected one document per file"}
	case !errors.Is(err, io.EOF):
		return nil, syntaxError(err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	root = resolveAlias(root)
	if isNull(root) {
		return nil, &ConfigError{Line: root.Line, Msg: "the file has no settings; expected a mapping such as `warehouse: ./warehouse` (`lake init` writes a commented example)"}
	}
	if root.Kind != yaml.MappingNode {
		return nil, &ConfigError{Line: root.Line, Msg: fmt.Sprintf("expected a mapping of settings (warehouse:, sources:, tables:, ...), got %s", describe(root))}
	}
	return root, nil
}

func firstLine(doc *yaml.Node) int {
	if len(doc.Content) > 0 {
		return doc.Content[0].Line
	}
	return doc.Line
}

var yamlLineRE = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserProblems are the messages of yaml's parser (not its scanner). yaml
// reports their line 0-based, and leaves it out when it is 0.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
}

// syntaxError turns "yaml: line 3: msg" into a located ConfigError.
func syntaxError(err error) *ConfigError {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return &ConfigError{Msg: "invalid YAML: " + err.Error()}
	}
	line, _ := strconv.Atoi(m[1]) // 0 when absent
	if slices.Contains(parserProblems, m[2]) {
		line++
	}
	return &ConfigError{Line: line, Msg: "invalid YAML: " + m[2]}
}

// fileKeys is what decoding learnt about the keys of a file; defaults and
// validation need it after the file is read.
type fileKeys struct {
	lines  map[string]int  // key path ("tables[1].source") → line of the key
	nulls  map[string]bool // key paths present with an empty value
	failed map[string]bool // key paths that could not be read; Validate says nothing more about them
}

// present reports whether the file set key to a non-empty value.
func (k fileKeys) present(key string) bool {
	_, ok := k.lines[key]
	return ok && !k.nulls[key]
}

// lineOf is the line of key or, when the file left key out, of the
// nearest key above it.
func (k fileKeys) lineOf(key string) int {
	for p := key; p != ""; p = parentKey(p) {
		if line, ok := k.lines[p]; ok {
			return line
		}
	}
	return 0
}

// joinKey is the key path of key name under parent.
func joinKey(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// indexKey is the key path of item i of the list at parent.
func indexKey(parent string, i int) string {
	return fmt.Sprintf("%s[%d]", parent, i)
}

// parentKey strips the last ".name" or "[i]" of a key path.
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}

// decoder fills the structs of Config from a YAML node tree, as
// yaml.Node.Decode would, but reports every problem with its line and key
// path, rejects keys that no field's yaml tag names, and records the line
// of every key.
type decoder struct {
	fileKeys
	errs ConfigErrors
	// expanding holds the nodes being decoded or merged, so that an alias
	// that refers back to its own anchor is an error, not endless recursion.
	expanding map[*yaml.Node]bool
}

func newDecoder() *decoder {
	return &decoder{
		fileKeys:  fileKeys{lines: map[string]int{}, nulls: map[string]bool{}, failed: map[string]bool{}},
		expanding: map[*yaml.Node]bool{},
	}
}

func (d *decoder) fail(line int, key, format string, args ...any) {
	d.failed[key] = true
	if l, ok := d.lines[key]; ok {
		line = l
	}
	d.errs = append(d.errs, &ConfigError{Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// decode stores n into v, the value at key path key.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, key string) {
	n = resolveAlias(n)
	if isNull(n) {
		d.nulls[key] = true
		return
	}
	if v.Addr().Type().Implements(unmarshalerType) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(n.Line, key, "%s", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, key)
	case reflect.Map:
		d.decodeMap(n, v, key)
	case reflect.Slice:
		d.decodeSlice(n, v, key)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.fail(n.Line, key, "expected a string, got %s", describe(n))
			return
		}
		v.SetString(n.Value)
	default:
		// A new kind of field needs its own case: yaml's own messages
		// quote the value, which may come from a secret in the environment.
		panic(fmt.Sprintf("lake config: field type %s is not supported", v.Type()))
	}
}

// yamlFields maps the keys of struct type t, the names in its fields' yaml
// tags, to field indexes. Unexported fields and fields tagged "-" are not
// read from the file.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			panic(fmt.Sprintf("lake config: field %s.%s has no yaml tag", t, f.Name))
		}
		out[name] = i
	}
	return out
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, key, "expected a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	names := slices.Sorted(maps.Keys(fields))
	d.eachPair(n, key, func(k, val *yaml.Node, child string) {
		i, ok := fields[k.Value]
		if !ok {
			d.fail(k.Line, child, "unknown key; expected one of: %s", strings.Join(names, ", "))
			// A misspelt key leaves the intended one unset; saying so as
			// well would only repeat the problem.
			for _, name := range names {
				if editDistance(name, k.Value) <= 2 {
					d.failed[joinKey(key, name)] = true
				}
			}
			return
		}
		d.decode(val, v.Field(i), child)
	})
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, key, "expected a mapping, got %s", describe(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		panic(fmt.Sprintf("lake config: map key type %s is not supported", v.Type().Key()))
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	d.eachPair(n, key, func(k, val *yaml.Node, child string) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, child)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	})
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n.Line, key, "expected a list, got %s", describe(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		child := indexKey(key, i)
		d.lines[child] = item.Line
		d.decode(item, out.Index(i), child)
	}
	v.Set(out)
}

// nodePair is one key and its value in a mapping node.
type nodePair struct{ k, v *yaml.Node }

// eachPair calls fn for every key of mapping n, merged keys (<<: *anchor)
// included, after recording the key's line. Duplicate keys are errors.
func (d *decoder) eachPair(n *yaml.Node, key string, fn func(k, val *yaml.Node, child string)) {
	var own, merged []nodePair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolveAlias(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k.Line, key, "expected plain keys, got %s as a key", describe(k))
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, d.mergedPairs(val, key)...)
			continue
		}
		child := joinKey(key, k.Value)
		if first, dup := seen[k.Value]; dup {
			d.errs = append(d.errs, &ConfigError{Line: k.Line, Key: child, Msg: fmt.Sprintf("duplicate key (first defined at line %d); expected each key once", first)})
			continue
		}
		seen[k.Value] = k.Line
		own = append(own, nodePair{k, val})
	}
	for _, p := range merged {
		if _, ok := seen[p.k.Value]; !ok {
			seen[p.k.Value] = p.k.Line
			own = append(own, p)
		}
	}
	for _, p := range own {
		child := joinKey(key, p.k.Value)
		d.lines[child] = p.k.Line
		fn(p.k, p.v, child)
	}
}

// mergedPairs returns the pairs a merge key's value brings in: one mapping
// or a list of them, earlier ones winning.
const selfMerge = "the merge refers to the mapping it is in; merge another anchor"

func (d *decoder) mergedPairs(val *yaml.Node, key string) []nodePair {
	val = resolveAlias(val)
	if d.expanding[val] {
		d.fail(val.Line, joinKey(key, "<<"), selfMerge)
		return nil
	}
	d.expanding[val] = true
	defer delete(d.expanding, val)
	var out []nodePair
	switch val.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(val.Content); i += 2 {
			k := resolveAlias(val.Content[i])
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if k.ShortTag() == "!!merge" {
				if d.expanding[resolveAlias(val.Content[i+1])] {
					d.fail(k.Line, joinKey(key, "<<"), selfMerge)
					continue
				}
				out = append(out, d.mergedPairs(val.Content[i+1], key)...)
				continue
			}
			out = append(out, nodePair{k, val.Content[i+1]})
		}
	case yaml.SequenceNode:
		for _, item := range val.Content {
			out = append(out, d.mergedPairs(item, key)...)
		}
	default:
		d.fail(val.Line, joinKey(key, "<<"), "expected a mapping or a list of mappings to merge, got %s", describe(val))
	}
	return out
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names the kind of n without its value, which may be a secret.
func describe(n *yaml.Node) string {
	n = resolveAlias(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		case "!!timestamp":
			return "a date"
		}
		return "a string"
	}
	return "nothing"
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
