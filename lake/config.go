package lake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// Embedded so that `timezone:` works on hosts and containers without a
	// zoneinfo database; a nightly job must not depend on the image.
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// Defaults applied to keys a lake.yaml leaves out.
const (
	DefaultTimezone     = "UTC"
	DefaultSchema       = "dwh"
	DefaultCompression  = "zstd"
	DefaultRowGroupSize = ByteSize(128 << 20)
	DefaultFileSize     = ByteSize(512 << 20)
	DefaultClusterName  = "local"
	// DefaultCatalogFile is the DuckDB catalog of the default cluster, next
	// to lake.yaml.
	DefaultCatalogFile = "lake.duckdb"
)

// dsLayout is the layout of a ds value (partitions.DateLayout).
const dsLayout = "2006-01-02"

// Config is one lake.yaml, with defaults applied and relative paths made
// absolute.
type Config struct {
	// Path is the file the config came from, as given; errors cite it.
	Path string `yaml:"-"`
	// Warehouse is the absolute path of the folder partitions are written to.
	Warehouse string `yaml:"warehouse"`
	// Timezone is the IANA zone in which "today" (the default ds) is computed.
	Timezone string `yaml:"timezone"`
	// DefaultSchema is the lake schema of tables that name none.
	DefaultSchema string                  `yaml:"default_schema"`
	Parquet       ParquetConfig           `yaml:"parquet"`
	Sources       map[string]SourceConfig `yaml:"sources"`
	// Tables are in file order.
	Tables   []TableConfig   `yaml:"tables"`
	Clusters []ClusterConfig `yaml:"clusters"`
	// Location is Timezone loaded; set by Validate.
	Location *time.Location `yaml:"-"`

	lines  map[string]int  // key path ("tables[1].source") → line of the key
	nulls  map[string]bool // key paths present with an empty value
	failed map[string]bool // key paths that could not be read; Validate says nothing more about them
}

// ParquetConfig tunes the Parquet files of every partition.
type ParquetConfig struct {
	// Compression is zstd, snappy, gzip or none.
	Compression  string   `yaml:"compression"`
	RowGroupSize ByteSize `yaml:"row_group_size"`
	FileSize     ByteSize `yaml:"file_size"`
}

// SourceConfig is a database tables are read from.
type SourceConfig struct {
	// Name is the key under sources:.
	Name string `yaml:"-"`
	// Driver is sqlite or postgres.
	Driver string `yaml:"driver"`
	// DSN is, for sqlite, the absolute path of the database file (or a
	// file: URI); for postgres, a URL or key=value DSN. It may hold a
	// password: show it only through RedactDSN.
	DSN string `yaml:"dsn"`
}

// TableConfig is one lake table. After loading, exactly one of Table and
// Query is set and Schema is never empty.
type TableConfig struct {
	// Name is the lake table name, unique within Schema.
	Name   string `yaml:"name"`
	Source string `yaml:"source"`
	// Table is the source table, optionally schema-qualified ("billing.invoices").
	Table string `yaml:"table"`
	// Query is a SELECT run on the source instead of reading Table.
	Query  string `yaml:"query"`
	Schema string `yaml:"schema"`
	// Line is where the table's entry starts in the config file.
	Line int `yaml:"-"`
}

// ClusterConfig is a query engine that tables are registered on.
type ClusterConfig struct {
	Name string `yaml:"name"`
	// Engine is duckdb (trino and presto are recognised but not supported yet).
	Engine string `yaml:"engine"`
	// Path is the absolute path of the DuckDB catalog file.
	Path string `yaml:"path"`
}

// The values Validate accepts, in the order error messages list them.
var (
	drivers      = []string{"sqlite", "postgres"}
	engines      = []string{"duckdb", "trino", "presto"}
	compressions = []string{"zstd", "snappy", "gzip", "none"}
)

// plannedEngines are parsed but rejected until their sql dialect exists.
var plannedEngines = []string{"trino", "presto"}

// LoadConfig reads, expands, parses, defaults and validates a lake.yaml.
// Environment variables come from the process.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read config: %w; create one with `lake init`", err)
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data, os.LookupEnv)
}

// ParseConfig parses the lake.yaml data read from path: it expands ${NAME}
// from getenv (os.LookupEnv when nil), applies defaults, resolves relative
// paths against path's folder and validates. The error, if any, is a
// ConfigErrors listing every problem found, sorted by line.
func ParseConfig(path string, data []byte, getenv func(string) (string, bool)) (*Config, error) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("resolve folder of %s: %w", path, err)
	}
	root, perr := parseRoot(data)
	if perr != nil {
		perr.File = path
		return nil, ConfigErrors{perr}
	}

	d := &decoder{lines: map[string]int{}, nulls: map[string]bool{}, failed: map[string]bool{}}
	d.expandEnv(root, "", getenv)
	c := &Config{Path: path}
	d.decode(root, reflect.ValueOf(c).Elem(), "")
	c.lines, c.nulls, c.failed = d.lines, d.nulls, d.failed
	c.applyDefaults(dir)

	errs := append(d.errs, c.validate()...)
	if len(errs) > 0 {
		return nil, errs.sorted(path)
	}
	return c, nil
}

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

// applyDefaults fills what the file left out and makes relative paths
// absolute against dir, the config file's folder.
func (c *Config) applyDefaults(dir string) {
	if c.Timezone == "" {
		c.Timezone = DefaultTimezone
	}
	if c.DefaultSchema == "" && !c.present("default_schema") {
		c.DefaultSchema = DefaultSchema
	}
	if c.Parquet.Compression == "" && !c.present("parquet.compression") {
		c.Parquet.Compression = DefaultCompression
	}
	if c.Parquet.RowGroupSize == 0 && !c.present("parquet.row_group_size") {
		c.Parquet.RowGroupSize = DefaultRowGroupSize
	}
	if c.Parquet.FileSize == 0 && !c.present("parquet.file_size") {
		c.Parquet.FileSize = DefaultFileSize
	}
	if c.Warehouse != "" && !hasScheme(c.Warehouse) && !homeRelative(c.Warehouse) {
		c.Warehouse = absPath(dir, c.Warehouse)
	}
	for name, s := range c.Sources {
		s.Name = name
		if s.Driver == "sqlite" {
			s.DSN = sqlitePath(dir, s.DSN)
		}
		c.Sources[name] = s
	}
	for i := range c.Tables {
		t := &c.Tables[i]
		t.Line = c.lines[fmt.Sprintf("tables[%d]", i)]
		if t.Table == "" && t.Query == "" {
			t.Table = t.Name
		}
		if t.Schema == "" && !c.present(fmt.Sprintf("tables[%d].schema", i)) {
			t.Schema = c.DefaultSchema
		}
	}
	if c.Clusters == nil && !c.failed["clusters"] {
		c.Clusters = []ClusterConfig{{Name: DefaultClusterName, Engine: "duckdb", Path: DefaultCatalogFile}}
	}
	for i := range c.Clusters {
		if p := c.Clusters[i].Path; p != "" && p != ":memory:" && !homeRelative(p) {
			c.Clusters[i].Path = absPath(dir, p)
		}
	}
}

// present reports whether the file set key to a non-empty value.
func (c *Config) present(key string) bool {
	_, ok := c.lines[key]
	return ok && !c.nulls[key]
}

func absPath(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// sqlitePath makes the file of a SQLite DSN absolute. It accepts a plain
// path or a file: URI, either with a ?query of driver options.
func sqlitePath(dir, dsn string) string {
	if dsn == "" || dsn == ":memory:" || strings.HasPrefix(dsn, "file::memory:") || hasScheme(dsn) || homeRelative(dsn) {
		return dsn
	}
	prefix, rest := "", dsn
	if strings.HasPrefix(dsn, "file:") {
		prefix, rest = "file:", dsn[len("file:"):]
	}
	file, query, hasQuery := strings.Cut(rest, "?")
	if file == "" {
		return dsn
	}
	out := prefix + absPath(dir, file)
	if hasQuery {
		out += "?" + query
	}
	return out
}

// homeRelative reports whether p starts with ~, which only a shell expands.
func homeRelative(p string) bool { return p == "~" || strings.HasPrefix(p, "~/") }

// homeProblem is the message for a path starting with ~.
func homeProblem(p string) string {
	return fmt.Sprintf("%q: ~ is not expanded; expected ${HOME}%s or a path relative to this file", p, strings.TrimPrefix(p, "~"))
}

// hasScheme reports whether s is a URL such as s3://bucket or postgres://host.
func hasScheme(s string) bool { return strings.Contains(s, "://") }

var identRE = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

const identExpected = "expected lower-case letters, digits and _, not starting with a digit"

// Validate checks c and sets c.Location. The error is a ConfigErrors listing
// every problem, each naming the key (and, for a config read from a file,
// the line) it is about. DSNs appear in errors only redacted.
func (c *Config) Validate() error {
	if errs := c.validate(); len(errs) > 0 {
		return errs.sorted(c.Path)
	}
	return nil
}

func (c *Config) validate() ConfigErrors {
	v := &validator{c: c}

	switch {
	case c.Warehouse == "":
		v.add("warehouse", "required; expected the folder partitions are written to, e.g. ./warehouse")
	case hasScheme(c.Warehouse):
		v.add("warehouse", "%q: object store warehouses are not supported yet; expected a local folder", RedactDSN(c.Warehouse))
	case homeRelative(c.Warehouse):
		v.add("warehouse", "%s", homeProblem(c.Warehouse))
	}

	if loc, err := time.LoadLocation(c.Timezone); err != nil {
		v.add("timezone", "unknown time zone %q; expected an IANA name such as UTC or Europe/Paris", c.Timezone)
	} else {
		c.Location = loc
	}

	if !identRE.MatchString(c.DefaultSchema) {
		v.add("default_schema", "%q is not a valid schema name; %s", c.DefaultSchema, identExpected)
	}

	v.validateParquet()
	v.validateSources()
	v.validateTables()
	v.validateClusters()
	return v.errs
}

// validator collects the problems of one Config.
type validator struct {
	c    *Config
	errs ConfigErrors
}

// add records a problem with key unless reading key (or a key above it)
// already failed: that problem has been reported.
func (v *validator) add(key, format string, args ...any) {
	for k := key; k != ""; k = parentKey(k) {
		if v.c.failed[k] {
			return
		}
	}
	v.errs = append(v.errs, &ConfigError{Line: v.c.lineOf(key), Key: key, Msg: fmt.Sprintf(format, args...)})
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

func (v *validator) validateParquet() {
	p := v.c.Parquet
	if !slices.Contains(compressions, p.Compression) {
		v.add("parquet.compression", "unknown compression %q; expected one of: %s", p.Compression, strings.Join(compressions, ", "))
	}
	if p.RowGroupSize <= 0 {
		v.add("parquet.row_group_size", "must be greater than 0; expected a size such as 128MiB")
	}
	if p.FileSize <= 0 {
		v.add("parquet.file_size", "must be greater than 0; expected a size such as 512MiB")
	}
	if p.RowGroupSize > 0 && p.FileSize > 0 && p.RowGroupSize > p.FileSize {
		v.add("parquet.row_group_size", "%s is larger than parquet.file_size (%s); expected at most the file size", p.RowGroupSize, p.FileSize)
	}
}

func (v *validator) validateSources() {
	for _, name := range slices.Sorted(maps.Keys(v.c.Sources)) {
		s := v.c.Sources[name]
		key := "sources." + name
		switch {
		case s.Driver == "":
			v.add(key+".driver", "required; expected one of: %s", strings.Join(drivers, ", "))
		case !slices.Contains(drivers, s.Driver):
			v.add(key+".driver", "unknown driver %q; expected one of: %s", s.Driver, strings.Join(drivers, ", "))
		}
		switch {
		case s.DSN == "" && s.Driver == "postgres":
			v.add(key+".dsn", "required; expected a URL such as postgres://user:${PASSWORD}@host:5432/db or key=value pairs")
		case s.DSN == "" && s.Driver == "sqlite":
			v.add(key+".dsn", "required; expected the path of the SQLite database file")
		case s.DSN == "":
			v.add(key+".dsn", "required; expected how to connect to the database")
		case s.Driver == "sqlite" && hasScheme(s.DSN):
			v.add(key+".dsn", "%q is a URL; expected the path of the SQLite database file", RedactDSN(s.DSN))
		case s.Driver == "sqlite" && homeRelative(s.DSN):
			v.add(key+".dsn", "%s", homeProblem(s.DSN))
		case s.Driver == "postgres":
			if msg := checkPostgresDSN(s.DSN); msg != "" {
				v.add(key+".dsn", "%s", msg)
			}
		}
	}
}

// checkPostgresDSN says what is wrong with the shape of dsn, or "".
func checkPostgresDSN(dsn string) string {
	if scheme, _, ok := strings.Cut(dsn, "://"); ok {
		if scheme != "postgres" && scheme != "postgresql" {
			return fmt.Sprintf("%q is not a postgres URL; expected postgres:// or postgresql://", RedactDSN(dsn))
		}
		return ""
	}
	if !strings.Contains(dsn, "=") {
		// Not shown: without a recognisable shape the password cannot be
		// told apart, so RedactDSN could not hide it.
		return "not a postgres DSN; expected a URL such as postgres://user:${PASSWORD}@host:5432/db or key=value pairs such as host=db dbname=prod"
	}
	return ""
}

func (v *validator) validateTables() {
	c := v.c
	if len(c.Tables) == 0 {
		v.add("tables", "no tables; expected a list of tables, e.g. `- name: orders` with `source: shop`")
		return
	}
	var defined string
	if len(c.Sources) == 0 {
		defined = "no sources are defined; add one under sources:"
	} else {
		defined = "defined sources: " + strings.Join(slices.Sorted(maps.Keys(c.Sources)), ", ")
	}

	first := map[string]int{} // schema.name → index of the first table
	for i, t := range c.Tables {
		key := fmt.Sprintf("tables[%d]", i)
		nameOK := false
		switch {
		case t.Name == "":
			v.add(key+".name", "required; expected the lake table name, e.g. orders")
		case !identRE.MatchString(t.Name):
			v.add(key+".name", "%q is not a valid table name; %s", t.Name, identExpected)
		default:
			nameOK = true
		}
		schemaOK := identRE.MatchString(t.Schema)
		if !schemaOK && c.present(key+".schema") {
			v.add(key+".schema", "%q is not a valid schema name; %s", t.Schema, identExpected)
		}
		if nameOK && schemaOK {
			qualified := t.Schema + "." + t.Name
			if j, dup := first[qualified]; dup {
				v.add(key+".name", "duplicate table %s (first defined at line %d)", qualified, c.lineOf(fmt.Sprintf("tables[%d].name", j)))
			} else {
				first[qualified] = i
			}
		}

		if t.Table != "" && t.Query != "" {
			v.add(key+".query", "both table and query are set; expected exactly one of them")
		} else if t.Table != "" && !validSourceTable(t.Table) {
			v.add(key+".table", "%q is not a source table; expected table or schema.table", t.Table)
		} else if t.Table == "" && strings.TrimSpace(t.Query) == "" && c.present(key+".query") {
			v.add(key+".query", "empty; expected a SELECT statement")
		}

		switch {
		case c.failed["sources"]:
		case t.Source == "":
			v.add(key+".source", "required; %s", defined)
		default:
			if _, ok := c.Sources[t.Source]; !ok {
				v.add(key+".source", "unknown source %q; %s", t.Source, defined)
			}
		}
	}

	// A table named x_latest would be shadowed by, or shadow, the _latest
	// view of table x in the same schema.
	for i, t := range c.Tables {
		base, ok := strings.CutSuffix(t.Name, "_latest")
		if !ok {
			continue
		}
		if j, clash := first[t.Schema+"."+base]; clash {
			v.add(fmt.Sprintf("tables[%d].name", i), "table %s.%s has the name of the _latest view of %s.%s (line %d); expected another name",
				t.Schema, t.Name, t.Schema, base, c.lineOf(fmt.Sprintf("tables[%d].name", j)))
		}
	}
}

// validSourceTable accepts "table" and "schema.table".
func validSourceTable(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if strings.TrimSpace(p) == "" {
			return false
		}
	}
	return true
}

func (v *validator) validateClusters() {
	c := v.c
	if len(c.Clusters) == 0 {
		v.add("clusters", "empty; expected at least one cluster, or no clusters: key for the default DuckDB catalog %s", DefaultCatalogFile)
		return
	}
	first := map[string]int{}
	for i, cl := range c.Clusters {
		key := fmt.Sprintf("clusters[%d]", i)
		switch {
		case cl.Name == "":
			v.add(key+".name", "required; expected a name for the cluster, e.g. local")
		default:
			if j, dup := first[cl.Name]; dup {
				v.add(key+".name", "duplicate cluster %q (first defined at line %d)", cl.Name, c.lineOf(fmt.Sprintf("clusters[%d].name", j)))
			} else {
				first[cl.Name] = i
			}
		}
		switch {
		case cl.Engine == "":
			v.add(key+".engine", "required; expected duckdb")
		case slices.Contains(plannedEngines, cl.Engine):
			v.add(key+".engine", "engine %s is not supported yet; expected duckdb", cl.Engine)
		case !slices.Contains(engines, cl.Engine):
			v.add(key+".engine", "unknown engine %q; expected duckdb (trino and presto are not supported yet)", cl.Engine)
		case cl.Engine == "duckdb" && cl.Path == "":
			v.add(key+".path", "required for a duckdb cluster; expected the DuckDB catalog file, e.g. ./lake.duckdb")
		case cl.Engine == "duckdb" && homeRelative(cl.Path):
			v.add(key+".path", "%s", homeProblem(cl.Path))
		}
	}
}

// SelectTables returns the tables names selects, in config order; no names
// selects every table. A name is "name" or "schema.name"; an entry may list
// several, separated by commas (as in --tables orders,customers).
func (c *Config) SelectTables(names []string) ([]TableConfig, error) {
	var wanted []string
	for _, n := range names {
		for part := range strings.SplitSeq(n, ",") {
			if part = strings.TrimSpace(part); part != "" {
				wanted = append(wanted, part)
			}
		}
	}
	if len(wanted) == 0 {
		if len(names) > 0 {
			return nil, errors.New("select tables: no table names given; expected names such as orders or dwh.orders")
		}
		return slices.Clone(c.Tables), nil
	}

	var defined []string
	for _, t := range c.Tables {
		defined = append(defined, t.Schema+"."+t.Name)
	}
	slices.Sort(defined)

	selected := make([]bool, len(c.Tables))
	var problems []string
	for _, name := range wanted {
		var hits []string
		for i, t := range c.Tables {
			if name == t.Schema+"."+t.Name || (!strings.Contains(name, ".") && name == t.Name) {
				selected[i] = true
				hits = append(hits, t.Schema+"."+t.Name)
			}
		}
		switch {
		case len(hits) == 0:
			problems = append(problems, fmt.Sprintf("unknown table %q", name))
		case len(hits) > 1:
			problems = append(problems, fmt.Sprintf("table %q is in several schemas (%s); expected schema.name", name, strings.Join(hits, ", ")))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("select tables: %s; defined tables: %s", strings.Join(problems, "; "), strings.Join(defined, ", "))
	}
	var out []TableConfig
	for i, t := range c.Tables {
		if selected[i] {
			out = append(out, t)
		}
	}
	return out, nil
}

var dsShapeRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// ParseDS parses a ds such as "2026-01-05": a real calendar date written
// YYYY-MM-DD. The time is midnight UTC.
func ParseDS(s string) (time.Time, error) {
	if !dsShapeRE.MatchString(s) {
		return time.Time{}, fmt.Errorf("invalid ds %q: expected a date written YYYY-MM-DD, e.g. 2026-01-05", s)
	}
	t, err := time.Parse(dsLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid ds %q: not a calendar date; expected a date written YYYY-MM-DD, e.g. 2026-01-05", s)
	}
	return t, nil
}

// Today is the ds of now in c.Location (UTC before Validate).
func (c *Config) Today(now time.Time) string {
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	return now.In(loc).Format(dsLayout)
}

const redacted = "xxxxx"

var (
	urlPasswordParamRE = regexp.MustCompile(`(?i)((?:^|[?&;])[a-z_]*password=)[^&]*`)
	kvPasswordRE       = regexp.MustCompile(`(?i)(\b[a-z_]*password\s*=\s*)('(?:[^'\\]|\\.)*'|'.*|\S*)`)
)

// RedactDSN hides the passwords of a DSN: the password of a URL's userinfo
// and password= parameters, in URL and key=value form, become "xxxxx".
// When unsure where a password ends it hides more, never less.
func RedactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := redactUserinfo(dsn[i+3:])
		return dsn[:i+3] + urlPasswordParamRE.ReplaceAllString(rest, "${1}"+redacted)
	}
	if strings.Contains(dsn, "=") {
		return kvPasswordRE.ReplaceAllString(dsn, "${1}"+redacted)
	}
	return redactUserinfo(dsn)
}

// redactUserinfo hides the password of "user:password@host...". The last @
// ends the userinfo, since unescaped passwords may contain @, / or ?.
func redactUserinfo(s string) string {
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return s
	}
	colon := strings.Index(s[:at], ":")
	if colon < 0 {
		return s
	}
	return s[:colon+1] + redacted + s[at:]
}

// ByteSize is a size in bytes, written in lake.yaml as "128MiB", "1GiB",
// "500MB" or a plain number of bytes.
type ByteSize int64

var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	"kb": 1e3, "mb": 1e6, "gb": 1e9,
}

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// ParseByteSize parses "128MiB", "1.5GiB", "500MB" or "1048576" (units are
// case-insensitive).
func ParseByteSize(s string) (ByteSize, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, notASize(s)
	}
	unit, ok := byteUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, notASize(s)
	}
	if !strings.Contains(m[1], ".") {
		n, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || n > math.MaxInt64/unit {
			return 0, fmt.Errorf("%q is too large; expected a size below 8EiB", s)
		}
		return ByteSize(n * unit), nil
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, notASize(s)
	}
	f = math.Round(f * float64(unit))
	if f >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large; expected a size below 8EiB", s)
	}
	return ByteSize(f), nil
}

func notASize(s string) error {
	return fmt.Errorf("%q is not a size; expected a number with an optional unit (KiB, MiB, GiB, KB, MB, GB)", s)
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
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}} {
		if b != 0 && int64(b)%u.size == 0 {
			return fmt.Sprintf("%d%s", int64(b)/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", int64(b))
}

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
			d.expandEnv(c, fmt.Sprintf("%s[%d]", key, i), getenv)
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

// ExampleConfig is the commented lake.yaml `lake init` writes: a local
// warehouse folder, the embedded DuckDB cluster, one SQLite source and a
// Postgres source to uncomment.
const ExampleConfig = `# lake.yaml: what lake snapshots every night, where the partitions go and
# where analysts query them. Relative paths are relative to this file's
# folder. Any value may use ${NAME} or ${NAME:-default} from the environment
# (write $${ for a literal ${).

# The folder that holds every table as write-once ds=YYYY-MM-DD partitions
# of Parquet files. It is the source of truth: clusters are rebuilt from it.
warehouse: ./warehouse

# The IANA time zone in which "today", the default ds of a run, is computed.
timezone: UTC

# The lake schema of tables that do not name one.
default_schema: dwh

# How Parquet files are written (every key is optional).
parquet:
  compression: zstd       # zstd | snappy | gzip | none
  row_group_size: 128MiB  # sizes: 1048576, 500MB, 128MiB, 1GiB
  file_size: 512MiB       # a partition is split into files of about this size

# The production databases tables are read from, by name.
sources:
  shop:
    driver: sqlite        # sqlite | postgres
    dsn: ./demo/shop.db   # for sqlite, the database file
  # A Postgres source. Keep the password out of this file: export
  # PROD_PASSWORD before running lake, then uncomment these lines.
  # prod:
  #   driver: postgres
  #   dsn: postgres://lake:${PROD_PASSWORD}@db.internal:5432/prod?sslmode=require

# The lake tables. Each reads one source table (table:, which defaults to
# the name) or the result of one query (query:), never both.
tables:
  # dwh.orders: a copy of the source table orders.
  - name: orders
    source: shop
  # dwh.customers: only the columns analysts may see.
  - name: customers
    source: shop
    query: SELECT id, name, country, created_at FROM customers
  # finance.invoices from the Postgres source (uncomment it too):
  # - name: invoices
  #   source: prod
  #   table: billing.invoices
  #   schema: finance

# The query engines the tables and their <table>_latest views are
# registered on. Without this key: one DuckDB catalog, ./lake.duckdb.
clusters:
  - name: local
    engine: duckdb        # duckdb (trino and presto are planned)
    path: ./lake.duckdb   # the DuckDB catalog file
`
