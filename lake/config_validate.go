package lake

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lake-engine/lake/loaders/mysql"
	"github.com/lake-engine/lake/loaders/parquetfile"
)

// The values Validate accepts, in the order error messages list them.
var (
	drivers      = []string{"sqlite", "postgres", "mysql"}
	engines      = []string{"duckdb", "trino", "presto"}
	compressions = []string{"zstd", "snappy", "gzip", "none"}
)

// homeProblem is the message for a path starting with ~.
func homeProblem(p string) string {
	return fmt.Sprintf("%q: ~ is not expanded; expected ${HOME}%s or a path relative to this file", p, strings.TrimPrefix(p, "~"))
}

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

	v.validateWarehouse()

	if loc, err := time.LoadLocation(c.Timezone); err != nil {
		v.add("timezone", "unknown time zone %q; expected an IANA name such as UTC or Europe/Paris", c.Timezone)
	} else {
		c.Location = loc
	}

	if !identRE.MatchString(c.DefaultSchema) {
		v.add("default_schema", "%q is not a valid schema name; %s", c.DefaultSchema, identExpected)
	}

	v.validateMaxDSAge()
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

func (v *validator) validateParquet() {
	p := v.c.Parquet
	if !slices.Contains(compressions, p.Compression) {
		v.add("parquet.compression", "unknown compression %q; expected one of: %s", p.Compression, strings.Join(compressions, ", "))
	}
	if lo, hi, ok := parquetfile.CompressionLevels(p.Compression); !ok && p.CompressionLevel != 0 {
		v.add("parquet.compression_level", "%s has no levels; expected no compression_level, or compression zstd or gzip", p.Compression)
	} else if l := int(p.CompressionLevel); ok && l != 0 && (l < lo || l > hi) {
		v.add("parquet.compression_level", "%d; expected a %s level from %d to %d (or none for %s's default)", p.CompressionLevel, p.Compression, lo, hi, p.Compression)
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
	if p.PageSize <= 0 {
		v.add("parquet.page_size", "must be greater than 0; expected a size such as 256KiB")
	} else if p.RowGroupSize > 0 && p.PageSize > p.RowGroupSize {
		v.add("parquet.page_size", "%s is larger than parquet.row_group_size (%s); expected at most the row group size", p.PageSize, p.RowGroupSize)
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
			v.add(key+".dsn", "required; %s", postgresDSNExpected)
		case s.DSN == "" && s.Driver == "sqlite":
			v.add(key+".dsn", "required; expected the path of the SQLite database file")
		case s.DSN == "" && s.Driver == "mysql":
			v.add(key+".dsn", "required; %s", mysql.DSNExpected)
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
		case s.Driver == "mysql":
			if err := mysql.CheckDSN(s.DSN); err != nil {
				v.add(key+".dsn", "%s", err)
			}
		}
		switch {
		case s.Workers == 0 && !v.c.present(key+".workers"):
			// A Config built in code: the default, 1.
		case s.Workers < 1 || s.Workers > maxWorkers:
			v.add(key+".workers", "%d; expected 1 to %d connections", s.Workers, maxWorkers)
		case s.Workers > 1 && s.Driver != "postgres" && slices.Contains(drivers, s.Driver):
			v.add(key+".workers", "%d, but a %s source cannot share one snapshot between connections; expected 1 (only postgres sources read in parallel)", s.Workers, s.Driver)
		}
		v.rangeSize(key, "split_size", s.SplitSize, s.Driver, "256MiB")
		v.rangeSize(key, "chunk_size", s.ChunkSize, s.Driver, "32MiB")
		if v.c.present(key + ".lock_timeout") {
			switch d := time.Duration(s.LockTimeout); {
			case s.Driver == "sqlite":
				v.add(key+".lock_timeout", "a sqlite source is read without waiting for locks; expected no lock_timeout (postgres and mysql sources take one)")
			case d < 0 || d > 0 && d < time.Second:
				v.add(key+".lock_timeout", "%s; expected 0 (the server's setting) or a duration of at least 1s, such as 10m", d)
			}
		}
	}
}

// rangeSize checks sources.NAME.<name>, a size of the ranges a postgres
// source reads tables in, when lake.yaml gives it.
func (v *validator) rangeSize(key, name string, size ByteSize, driver, example string) {
	key += "." + name
	switch {
	case !v.c.present(key):
	case size <= 0:
		v.add(key, "must be greater than 0; expected a size such as %s", example)
	case driver != "postgres" && slices.Contains(drivers, driver):
		v.add(key, "a %s source reads every table whole; expected no %s (only postgres sources read tables in ranges)", driver, name)
	}
}

// maxWorkers bounds sources.NAME.workers and tables[].split: each worker is
// a database connection and holds a row group in memory.
const maxWorkers = 64

// validateSplit checks tables[i].split: block ranges exist only for
// postgres tables, read by the source's workers.
func (v *validator) validateSplit(i int, t TableConfig) {
	key := indexKey("tables", i) + ".split"
	if !v.c.present(key) {
		return
	}
	src, known := v.c.Sources[t.Source]
	switch {
	case t.Split < 1 || t.Split > maxWorkers:
		v.add(key, "%d; expected 1 (read whole) to %d ranges", t.Split, maxWorkers)
	case t.Split == 1:
	case t.Query != "":
		v.add(key, "a query cannot be split into ranges; expected table: instead of query:, or no split")
	case known && src.Driver != "postgres" && slices.Contains(drivers, src.Driver):
		v.add(key, "only postgres tables can be split; source %s is %s", t.Source, src.Driver)
	case known && src.Workers == 1:
		v.add(key, "%d ranges, but source %s reads with 1 connection; expected sources.%s.workers greater than 1", t.Split, t.Source, t.Source)
	}
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
		key := indexKey("tables", i)
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
			qualified := t.qualifiedName()
			if j, dup := first[qualified]; dup {
				v.add(key+".name", "duplicate table %s (first defined at line %d)", qualified, c.lineOf(indexKey("tables", j)+".name"))
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

		v.validateIncremental(i, t)
		v.validateSplit(i, t)

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
			v.add(indexKey("tables", i)+".name", "table %s.%s has the name of the _latest view of %s.%s (line %d); expected another name",
				t.Schema, t.Name, t.Schema, base, c.lineOf(indexKey("tables", j)+".name"))
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
		key := indexKey("clusters", i)
		switch {
		case cl.Name == "":
			v.add(key+".name", "required; expected a name for the cluster, e.g. local")
		default:
			if j, dup := first[cl.Name]; dup {
				v.add(key+".name", "duplicate cluster %q (first defined at line %d)", cl.Name, c.lineOf(indexKey("clusters", j)+".name"))
			} else {
				first[cl.Name] = i
			}
		}
		switch {
		case cl.Engine == "":
			v.add(key+".engine", "required; expected one of %s", strings.Join(engines, ", "))
		case !slices.Contains(engines, cl.Engine):
			v.add(key+".engine", "unknown engine %q; expected one of %s", cl.Engine, strings.Join(engines, ", "))
		case cl.Engine == "trino" || cl.Engine == "presto":
			v.validateRemoteCluster(key, cl)
		case cl.Engine == "duckdb" && cl.Path == "":
			v.add(key+".path", "required for a duckdb cluster; expected the DuckDB catalog file, e.g. ./lake.duckdb")
		case cl.Engine == "duckdb" && homeRelative(cl.Path):
			v.add(key+".path", "%s", homeProblem(cl.Path))
		}
	}
}

// validateRemoteCluster checks a trino or presto cluster.
func (v *validator) validateRemoteCluster(key string, cl ClusterConfig) {
	u, err := url.Parse(cl.URL)
	switch {
	case cl.URL == "":
		v.add(key+".url", "required for a %s cluster; expected http(s)://host:port of the coordinator", cl.Engine)
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil:
		v.add(key+".url", "%q is not an http(s)://host:port URL without credentials; put them in user: and password: or token:", redactURL(cl.URL))
	case cl.Password != "" && u.Scheme != "https":
		v.add(key+".password", "sent only over https; use an https url, or a token")
	}
	if cl.Password != "" && cl.Token != "" {
		v.add(key+".token", "both password and token are set; expected one of them")
	}
	if cl.Path != "" {
		v.add(key+".path", "only for a duckdb cluster; a %s cluster reads the warehouse itself", cl.Engine)
	}
	if !identRE.MatchString(cl.Catalog) {
		v.add(key+".catalog", "%q is not a valid catalog name; %s", cl.Catalog, identExpected)
	}
}

// redactURL hides a password in a URL the user wrote.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}
