package duckdb

import (
	"context"
	dbsql "database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"github.com/lake-engine/lake/sql"
)

// ExtensionDirEnv names a folder DuckDB loads extensions from
// (<dir>/v1.5.5/linux_amd64/httpfs.duckdb_extension). Tests set it to work
// offline; without it DuckDB installs httpfs from its repository on first
// use.
const ExtensionDirEnv = "LAKE_DUCKDB_EXTENSION_DIR"

// S3Access is how DuckDB reads an s3:// warehouse: through the httpfs
// extension, with the same endpoint and credentials as lake itself. The
// credentials become a TEMPORARY secret of each connection: never written
// to the catalog file, never printed.
type S3Access struct {
	Region string
	// Endpoint is an http(s)://host:port URL, or empty for AWS.
	Endpoint  string
	PathStyle bool
	// Credentials returns the key id, secret and session token to use; it is
	// called for every new connection, so that temporary credentials stay
	// fresh.
	Credentials func(ctx context.Context) (keyID, secret, token string, err error)
}

// Option changes how a catalog is opened.
type Option func(*options)

type options struct{ s3 *S3Access }

// WithS3 makes s3:// files readable.
func WithS3(a *S3Access) Option { return func(o *options) { o.s3 = a } }

// WithS3 makes the catalog's views able to read an s3:// warehouse.
func (c *Catalog) WithS3(a *S3Access) *Catalog {
	c.s3 = a
	return c
}

// openDB opens the DuckDB database dsn; with s3 set, every connection loads
// httpfs and gets a temporary S3 secret first.
func openDB(ctx context.Context, dsn string, s3 *S3Access) (*dbsql.DB, error) {
	if s3 == nil {
		return dbsql.Open("duckdb", dsn)
	}
	keyID, secret, token, err := s3.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	stmts := []string{}
	if dir := os.Getenv(ExtensionDirEnv); dir != "" {
		stmts = append(stmts, "SET extension_directory = "+sql.DuckDB.Literal(dir))
	}
	stmts = append(stmts, "INSTALL httpfs", "LOAD httpfs")
	secretSQL, err := s3.secretSQL(keyID, secret, token)
	if err != nil {
		return nil, err
	}
	conn, err := duckdbdriver.NewConnector(dsn, func(ex driver.ExecerContext) error {
		for _, s := range stmts {
			if _, err := ex.ExecContext(ctx, s, nil); err != nil {
				return fmt.Errorf("%s: %w (offline? set %s to a folder holding the httpfs extension)", s, err, ExtensionDirEnv)
			}
		}
		if _, err := ex.ExecContext(ctx, secretSQL, nil); err != nil {
			// DuckDB may quote the statement: never show it.
			msg := err.Error()
			for _, v := range []string{secret, token, keyID} {
				if v != "" {
					msg = strings.ReplaceAll(msg, v, "***")
				}
			}
			return errors.New("create the S3 secret for httpfs: " + msg)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return dbsql.OpenDB(conn), nil
}

func (a *S3Access) secretSQL(keyID, secret, token string) (string, error) {
	lit := sql.DuckDB.Literal
	parts := []string{"TYPE s3", "PROVIDER config"}
	if keyID != "" {
		parts = append(parts, "KEY_ID "+lit(keyID), "SECRET "+lit(secret))
	}
	if token != "" {
		parts = append(parts, "SESSION_TOKEN "+lit(token))
	}
	if a.Region != "" {
		parts = append(parts, "REGION "+lit(a.Region))
	}
	if a.Endpoint != "" {
		u, err := url.Parse(a.Endpoint)
		if err != nil || u.Host == "" {
			return "", fmt.Errorf("s3 endpoint %q is not a URL", a.Endpoint)
		}
		parts = append(parts, "ENDPOINT "+lit(u.Host), fmt.Sprintf("USE_SSL %t", u.Scheme == "https"))
	}
	if a.PathStyle {
		parts = append(parts, "URL_STYLE 'path'")
	}
	return "CREATE OR REPLACE TEMPORARY SECRET lake_s3 (" + strings.Join(parts, ", ") + ")", nil
}
