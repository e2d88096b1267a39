package partitions

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DateLayout is the layout of a ds value.
const DateLayout = "2006-01-02"

// ManifestName is the file name of a partition's manifest.
const ManifestName = "_manifest.json"

// attemptsDir is the hidden folder, inside a table's folder, that holds
// attempts in progress.
const attemptsDir = ".attempts"

// Key names one partition.
type Key struct {
	Schema string
	Table  string
	DS     string
}

func (k Key) String() string { return fmt.Sprintf("%s.%s ds=%s", k.Schema, k.Table, k.DS) }

// TablePrefix is the folder of the table: "dwh/orders/".
func (k Key) TablePrefix() string { return k.Schema + "/" + k.Table + "/" }

// Prefix is the folder of the partition: "dwh/orders/ds=2026-11-22/".
func (k Key) Prefix() string { return k.TablePrefix() + "ds=" + k.DS + "/" }

// ManifestKey is the key of the partition's manifest.
func (k Key) ManifestKey() string { return k.Prefix() + ManifestName }

var manifestKeyRE = regexp.MustCompile(`^([^/]+)/([^/]+)/ds=(\d{4}-\d{2}-\d{2})/` + regexp.QuoteMeta(ManifestName) + `$`)

// parseManifestKey returns the partition a manifest key belongs to.
func parseManifestKey(key string) (Key, bool) {
	m := manifestKeyRE.FindStringSubmatch(key)
	if m == nil || strings.HasPrefix(m[1], ".") || strings.HasPrefix(m[2], ".") {
		return Key{}, false
	}
	if _, err := time.Parse(DateLayout, m[3]); err != nil {
		return Key{}, false
	}
	return Key{Schema: m[1], Table: m[2], DS: m[3]}, true
}
