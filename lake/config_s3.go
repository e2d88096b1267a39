package lake

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lake-engine/lake/lake/warehouse"
	"github.com/lake-engine/lake/sql/duckdb"
)

// S3Config is the s3: section of lake.yaml: how to reach an s3://
// warehouse. Credentials are never here: they come from the standard AWS
// chain (AWS_* variables, ~/.aws profiles, SSO, IMDS/IRSA).
type S3Config struct {
	// Region of the bucket; empty means the AWS chain's.
	Region string `yaml:"region"`
	// Endpoint overrides AWS's (LocalStack, MinIO): http://127.0.0.1:4566.
	Endpoint string `yaml:"endpoint"`
	// PathStyle puts the bucket in the URL path; LocalStack and MinIO need it.
	PathStyle Flag `yaml:"path_style"`
	// SSE is AES256 or aws:kms; empty for the bucket's default.
	SSE         string `yaml:"sse"`
	SSEKMSKeyID string `yaml:"sse_kms_key_id"`
	// PartSize of multipart uploads; an upload holds at most
	// PartSize × (UploadConcurrency + 1) in memory.
	PartSize          ByteSize `yaml:"part_size"`
	UploadConcurrency Count    `yaml:"upload_concurrency"`
	// MaxAttempts is how many times one S3 request is tried before the
	// run gives up on it; MaxBackoff the longest wait between two tries.
	// Zero means the store's defaults (10 attempts, 20s).
	MaxAttempts Count    `yaml:"max_attempts"`
	MaxBackoff  Duration `yaml:"max_backoff"`
}

// Limits of s3.max_attempts and s3.max_backoff: beyond them a night could
// wait on one request for hours.
const (
	maxS3Attempts   = 50
	minS3MaxBackoff = 10 * time.Millisecond
	maxS3MaxBackoff = 5 * time.Minute
)

var sseModes = []string{"AES256", "aws:kms"}

// Flag is a yes/no setting: true or false.
type Flag bool

// UnmarshalYAML reads true or false.
func (f *Flag) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected true or false, got %s", describe(n))
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes":
		*f = true
	case "false", "no":
		*f = false
	default:
		return fmt.Errorf("expected true or false")
	}
	return nil
}

// Count is a whole number of things.
type Count int

// UnmarshalYAML reads a whole number.
func (c *Count) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a whole number, got %s", describe(n))
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		return fmt.Errorf("expected a whole number such as 4")
	}
	*c = Count(v)
	return nil
}

// Duration is a length of time, written as Go writes it: 500ms, 20s, 2m.
type Duration time.Duration

// UnmarshalYAML reads a duration such as 20s.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 20s, got %s", describe(n))
	}
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil {
		return fmt.Errorf("%q is not a duration; expected a number with a unit such as 500ms, 20s or 2m", n.Value)
	}
	*d = Duration(v)
	return nil
}

func (d Duration) String() string { return time.Duration(d).String() }

// IsS3 reports whether the warehouse is an s3:// URL.
func (c *Config) IsS3() bool { return strings.HasPrefix(c.Warehouse, "s3://") }

// bucketRE is S3's rule for bucket names.
var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// validateWarehouse checks warehouse: and s3:.
func (v *validator) validateWarehouse() {
	c := v.c
	switch {
	case c.Warehouse == "":
		v.add("warehouse", "required; expected the folder partitions are written to, e.g. ./warehouse")
	case c.IsS3():
		bucket, _, err := warehouse.ParseS3URL(c.Warehouse)
		if err != nil {
			v.add("warehouse", "%s", err)
		} else if !bucketRE.MatchString(bucket) {
			v.add("warehouse", "%q is not a valid S3 bucket name; expected 3 to 63 lower-case letters, digits, dots and hyphens", bucket)
		}
	case hasScheme(c.Warehouse):
		v.add("warehouse", "%q: unsupported scheme; expected a local folder or s3://bucket/prefix", RedactDSN(c.Warehouse))
	case homeRelative(c.Warehouse):
		v.add("warehouse", "%s", homeProblem(c.Warehouse))
	}
	s := c.S3
	if !c.IsS3() {
		if c.present("s3") {
			v.add("s3", "set, but the warehouse is not an s3:// URL; remove it or set warehouse: s3://bucket/prefix")
		}
		return
	}
	if s.Endpoint != "" {
		u, err := url.Parse(s.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.add("s3.endpoint", "%q is not a URL; expected http(s)://host:port, e.g. http://localhost:4566", s.Endpoint)
		} else if u.User != nil {
			v.add("s3.endpoint", "holds credentials; expected none in lake.yaml: use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile")
		}
	}
	if s.SSE != "" && !slices.Contains(sseModes, s.SSE) {
		v.add("s3.sse", "unknown server-side encryption %q; expected one of: %s", s.SSE, strings.Join(sseModes, ", "))
	}
	if s.SSEKMSKeyID != "" && s.SSE != "aws:kms" {
		v.add("s3.sse_kms_key_id", "set, but s3.sse is not aws:kms; expected sse: aws:kms with it")
	}
	if c.present("s3.part_size") && (s.PartSize < warehouse.MinPartSize || s.PartSize > warehouse.MaxPartSize) {
		v.add("s3.part_size", "%s is outside S3's limits; expected between 5MiB and 5GiB", s.PartSize)
	}
	if c.present("s3.upload_concurrency") && (s.UploadConcurrency < 1 || s.UploadConcurrency > 64) {
		v.add("s3.upload_concurrency", "%d; expected 1 to 64", s.UploadConcurrency)
	}
	if c.present("s3.max_attempts") && (s.MaxAttempts < 1 || s.MaxAttempts > maxS3Attempts) {
		v.add("s3.max_attempts", "%d; expected 1 (no retries) to %d", s.MaxAttempts, maxS3Attempts)
	}
	if b := time.Duration(s.MaxBackoff); c.present("s3.max_backoff") && (b < minS3MaxBackoff || b > maxS3MaxBackoff) {
		v.add("s3.max_backoff", "%s; expected between %s and %s", b, minS3MaxBackoff, maxS3MaxBackoff)
	}
}

// S3Options are the warehouse.S3Options of an s3:// warehouse.
func (c *Config) S3Options() (warehouse.S3Options, error) {
	bucket, prefix, err := warehouse.ParseS3URL(c.Warehouse)
	if err != nil {
		return warehouse.S3Options{}, err
	}
	return warehouse.S3Options{
		Bucket: bucket, Prefix: prefix, Region: c.S3.Region, Endpoint: c.S3.Endpoint, PathStyle: bool(c.S3.PathStyle),
		SSE: c.S3.SSE, SSEKMSKeyID: c.S3.SSEKMSKeyID, PartSize: int64(c.S3.PartSize), UploadConcurrency: int(c.S3.UploadConcurrency),
		MaxAttempts: int(c.S3.MaxAttempts), MaxBackoff: time.Duration(c.S3.MaxBackoff),
	}, nil
}

// openS3 opens an s3:// warehouse.
func openS3(cfg *Config) (warehouse.Store, error) {
	opts, err := cfg.S3Options()
	if err != nil {
		return nil, err
	}
	return warehouse.NewS3(context.Background(), opts)
}

// DuckDBS3 is how DuckDB reads store: nil for a folder; for S3 the same
// endpoint, and credentials from the same AWS chain.
func DuckDBS3(store warehouse.Store) *duckdb.S3Access {
	s, ok := store.(*warehouse.S3)
	if !ok {
		return nil
	}
	o := s.Options()
	return &duckdb.S3Access{
		Region: s.Region(), Endpoint: o.Endpoint, PathStyle: o.PathStyle,
		Credentials: func(ctx context.Context) (string, string, string, error) {
			c, err := s.Credentials(ctx)
			return c.AccessKeyID, c.SecretAccessKey, c.SessionToken, err
		},
	}
}
