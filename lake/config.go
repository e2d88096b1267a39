package lake

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lake-engine/lake/loaders/parquetfile"

	// Embedded so that `timezone:` works on hosts and containers without a
	// zoneinfo database; a nightly job must not depend on the image.
	_ "time/tzdata"
)

// Defaults applied to keys a lake.yaml leaves out.
const (
	DefaultTimezone     = "UTC"
	DefaultSchema       = "dwh"
	DefaultCompression  = "zstd"
	DefaultRowGroupSize = ByteSize(128 << 20)
	DefaultFileSize     = ByteSize(512 << 20)
	DefaultPageSize     = ByteSize(parquetfile.DefaultPageBytes)
	DefaultClusterName  = "local"
	// DefaultWorkers is how many connections read one source at once.
	DefaultWorkers = 1
	// DefaultSplitSize is the smallest range a postgres source with
	// several workers reads a table without split: in (SourceConfig.SplitSize).
	DefaultSplitSize = ByteSize(256 << 20)
	// DefaultChunkSize is the piece of heap a range of a split table is
	// read in at a time: a few round trips per chunk are well under 1% of
	// its read even to a distant server, and the last chunk a connection
	// waits for takes a fraction of a second.
	DefaultChunkSize = ByteSize(32 << 20)
	// DefaultClusterUser and DefaultClusterCatalog are a trino or presto
	// cluster's user and Hive catalog when lake.yaml names none.
	DefaultClusterUser    = "lake"
	DefaultClusterCatalog = "hive"
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
	// Warehouse is the absolute path of the folder partitions are written
	// to, or an s3://bucket/prefix URL.
	Warehouse string `yaml:"warehouse"`
	// S3 says how to reach an s3:// warehouse.
	S3 S3Config `yaml:"s3"`
	// Timezone is the IANA zone in which "today" (the default ds) is computed.
	Timezone string `yaml:"timezone"`
	// MaxDSAge is how many days before today a run's ds may be.
	MaxDSAge Days `yaml:"max_ds_age"`
	// DefaultSchema is the lake schema of tables that name none.
	DefaultSchema string                  `yaml:"default_schema"`
	Parquet       ParquetConfig           `yaml:"parquet"`
	Sources       map[string]SourceConfig `yaml:"sources"`
	// Tables are in file order.
	Tables   []TableConfig   `yaml:"tables"`
	Clusters []ClusterConfig `yaml:"clusters"`
	// Location is Timezone loaded; set by Validate.
	Location *time.Location `yaml:"-"`

	// fileKeys is empty for a Config built in code: its errors cite no line.
	fileKeys
}

// ParquetConfig tunes the Parquet files of every partition.
type ParquetConfig struct {
	// Compression is zstd, snappy, gzip or none.
	Compression string `yaml:"compression"`
	// CompressionLevel is the zstd (1 to 22) or gzip (1 to 9) level; 0,
	// the default, is the codec's own default (zstd 3, gzip 6).
	CompressionLevel Count    `yaml:"compression_level"`
	RowGroupSize     ByteSize `yaml:"row_group_size"`
	FileSize         ByteSize `yaml:"file_size"`
	// PageSize is where a column's data page is cut; left out, it is
	// DefaultPageSize or row_group_size if that is smaller.
	PageSize ByteSize `yaml:"page_size"`
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
	// Workers is how many connections read the source's tables (and
	// ranges of split tables) at once, all in one snapshot; default 1.
	// Only postgres sources can share a snapshot between connections.
	Workers Count `yaml:"workers"`
	// SplitSize is, with Workers above 1, the smallest range a table
	// without split: is read in: a table whose heap holds at least two
	// such ranges is read in as many (up to Workers); 0 means
	// DefaultSplitSize.
	SplitSize ByteSize `yaml:"split_size"`
	// ChunkSize is how much of a split table's heap one read of a range
	// takes at a time (see chunkQueue); 0 means DefaultChunkSize.
	ChunkSize ByteSize `yaml:"chunk_size"`
	// LockTimeout is how long a read waits for a lock on its table (held
	// by a migration's ALTER TABLE, say) before its table fails; 0 (set in
	// the file) leaves it to the server's setting, by default waiting as
	// long as it takes. DefaultLockTimeout for postgres and mysql sources
	// that leave it out; sqlite sources have none.
	LockTimeout Duration `yaml:"lock_timeout"`
}

// DefaultLockTimeout is how long a read waits for a lock on its table
// when lake.yaml does not say: long enough for a migration's quick ALTER
// TABLE, short enough that a table locked all night fails alone, its
// yesterday staying the latest, instead of holding up the whole night.
const DefaultLockTimeout = Duration(10 * time.Minute)

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
	// Incremental, if enabled, reads only a recent window most nights.
	Incremental IncrementalConfig `yaml:"incremental"`
	// Split reads the table as this many ranges of its storage, by the
	// source's workers; 1 reads it whole (postgres tables only). 0, the
	// default, leaves it to the size of the table (see splitPlan).
	Split Count `yaml:"split"`
	// Line is where the table's entry starts in the config file.
	Line int `yaml:"-"`
}

// qualifiedName is the table's name in the lake: schema.name.
func (t TableConfig) qualifiedName() string { return t.Schema + "." + t.Name }

// ClusterConfig is a query engine that tables are registered on.
type ClusterConfig struct {
	Name string `yaml:"name"`
	// Engine is duckdb, trino or presto.
	Engine string `yaml:"engine"`
	// Path is the absolute path of the DuckDB catalog file (duckdb).
	Path string `yaml:"path"`
	// URL is http(s)://host:port of the coordinator (trino, presto).
	URL string `yaml:"url"`
	// User is who lake is on the cluster; default lake.
	User string `yaml:"user"`
	// Password or Token (at most one) authenticate lake, normally given
	// as ${NAME} from the environment. Never shown in errors or logs.
	Password string `yaml:"password"`
	Token    string `yaml:"token"`
	// Catalog is the Hive connector's catalog; default hive.
	Catalog string `yaml:"catalog"`
	// Session properties sent with every statement.
	Session map[string]string `yaml:"session"`
}

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

	d := newDecoder()
	d.expandEnv(root, "", getenv)
	c := &Config{Path: path}
	d.decode(root, reflect.ValueOf(c).Elem(), "")
	c.fileKeys = d.fileKeys
	c.applyDefaults(dir)

	errs := append(d.errs, c.validate()...)
	if len(errs) > 0 {
		return nil, errs.sorted(path)
	}
	return c, nil
}

// applyDefaults fills what the file left out and makes relative paths
// absolute against dir, the config file's folder.
func (c *Config) applyDefaults(dir string) {
	if c.Timezone == "" {
		c.Timezone = DefaultTimezone
	}
	if c.MaxDSAge == 0 && !c.present("max_ds_age") {
		c.MaxDSAge = DefaultMaxDSAge
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
	if c.Parquet.PageSize == 0 && !c.present("parquet.page_size") {
		c.Parquet.PageSize = DefaultPageSize
		if r := c.Parquet.RowGroupSize; r > 0 && r < c.Parquet.PageSize {
			c.Parquet.PageSize = r
		}
	}
	if c.Warehouse != "" && !hasScheme(c.Warehouse) && !homeRelative(c.Warehouse) {
		c.Warehouse = absPath(dir, c.Warehouse)
	}
	for name, s := range c.Sources {
		s.Name = name
		if s.Workers == 0 && !c.present("sources."+name+".workers") {
			s.Workers = DefaultWorkers
		}
		if s.Driver != "sqlite" && !c.present("sources."+name+".lock_timeout") {
			s.LockTimeout = DefaultLockTimeout
		}
		if s.Driver == "sqlite" {
			s.DSN = sqlitePath(dir, s.DSN)
		}
		c.Sources[name] = s
	}
	for i := range c.Tables {
		t, key := &c.Tables[i], indexKey("tables", i)
		t.Line = c.lines[key]
		if t.Table == "" && t.Query == "" {
			t.Table = t.Name
		}
		if t.Schema == "" && !c.present(key+".schema") {
			t.Schema = c.DefaultSchema
		}
	}
	if c.Clusters == nil && !c.failed["clusters"] {
		c.Clusters = []ClusterConfig{{Name: DefaultClusterName, Engine: "duckdb", Path: DefaultCatalogFile}}
	}
	for i := range c.Clusters {
		cl := &c.Clusters[i]
		if p := cl.Path; p != "" && p != ":memory:" && !homeRelative(p) {
			cl.Path = absPath(dir, p)
		}
		if cl.Engine == "trino" || cl.Engine == "presto" {
			if cl.User == "" {
				cl.User = DefaultClusterUser
			}
			if cl.Catalog == "" {
				cl.Catalog = DefaultClusterCatalog
			}
		}
	}
}

func absPath(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, p)
}

// homeRelative reports whether p starts with ~, which only a shell expands.
func homeRelative(p string) bool { return p == "~" || strings.HasPrefix(p, "~/") }

// hasScheme reports whether s is a URL such as s3://bucket or postgres://host.
func hasScheme(s string) bool { return strings.Contains(s, "://") }

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
		defined = append(defined, t.qualifiedName())
	}
	slices.Sort(defined)

	selected := make([]bool, len(c.Tables))
	var problems []string
	for _, name := range wanted {
		var hits []string
		for i, t := range c.Tables {
			if name == t.qualifiedName() || (!strings.Contains(name, ".") && name == t.Name) {
				selected[i] = true
				hits = append(hits, t.qualifiedName())
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

const dsExpected = "expected a date written YYYY-MM-DD, e.g. 2026-01-05"

// ParseDS parses a ds such as "2026-01-05": a real calendar date written
// YYYY-MM-DD. The time is midnight UTC.
func ParseDS(s string) (time.Time, error) {
	if !dsShapeRE.MatchString(s) {
		return time.Time{}, fmt.Errorf("invalid ds %q: %s", s, dsExpected)
	}
	t, err := time.Parse(dsLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid ds %q: not a calendar date; %s", s, dsExpected)
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
