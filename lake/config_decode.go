package lake

import (
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

// decoder fills a struct from a YAML node tree, as yaml.Node.Decode would,
// but reports every problem with its line and key path, rejects keys that
// no field's yaml tag names, and records the line of every key.
type decoder struct {
	lines  map[string]int
	nulls  map[string]bool
	failed map[string]bool
	errs   ConfigErrors
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
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(n.Line, key, "%s", typeErrorText(err))
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), key)
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
		if err := n.Decode(v.Addr().Interface()); err != nil {
			// yaml's own message quotes the value, which may come from a
			// secret in the environment.
			d.fail(n.Line, key, "expected %s, got %s", describeType(v.Type()), describe(n))
		}
	}
}

// yamlField is a struct field as yaml names it.
type yamlField struct {
	name  string
	index []int
}

// yamlFields lists the fields of struct type t by yaml key, following the
// rules of yaml.v3: the tag's name, else the lower-cased field name; "-"
// and unexported fields are skipped; ",inline" structs are flattened.
func yamlFields(t reflect.Type) []yamlField {
	var out []yamlField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if slices.Contains(strings.Split(opts, ","), "inline") && f.Type.Kind() == reflect.Struct {
			for _, inner := range yamlFields(f.Type) {
				out = append(out, yamlField{name: inner.name, index: append([]int{i}, inner.index...)})
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out = append(out, yamlField{name: name, index: []int{i}})
	}
	return out
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n.Line, key, "expected a mapping, got %s", describe(n))
		return
	}
	fields := yamlFields(v.Type())
	var names []string
	for _, f := range fields {
		names = append(names, f.name)
	}
	slices.Sort(names)
	d.eachPair(n, key, func(k, val *yaml.Node, child string) {
		i := slices.IndexFunc(fields, func(f yamlField) bool { return f.name == k.Value })
		if i < 0 {
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
		d.decode(val, v.FieldByIndex(fields[i].index), child)
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
		child := fmt.Sprintf("%s[%d]", key, i)
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
func (d *decoder) mergedPairs(val *yaml.Node, key string) []nodePair {
	val = resolveAlias(val)
	var out []nodePair
	switch val.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(val.Content); i += 2 {
			k := resolveAlias(val.Content[i])
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if k.ShortTag() == "!!merge" {
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

func joinKey(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
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

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}

var typeErrorLineRE = regexp.MustCompile(`^line \d+: `)

// typeErrorText is an Unmarshaler's error without yaml's own "line N:".
func typeErrorText(err error) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	msgs := make([]string, len(te.Errors))
	for i, m := range te.Errors {
		msgs[i] = typeErrorLineRE.ReplaceAllString(m, "")
	}
	return strings.Join(msgs, "; ")
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

// expandEnv replaces ${NAME} and ${NAME:-default} in every scalar value

// present reports whether the file set key to a non-empty value.
func (c *Config) present(key string) bool {
	_, ok := c.lines[key]
	return ok && !c.nulls[key]
}

// lineOf is the line of key or, when the file left key out, of the
// nearest key above it.
func (c *Config) lineOf(key string) int {
	for k := key; k != ""; k = parentKey(k) {
		if line, ok := c.lines[k]; ok {
			return line
		}
	}
	return 0
}

// parentKey strips the last ".name" or "[i]" of a key path.
func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i < 0 {
		return ""
	}
	return key[:i]
}
