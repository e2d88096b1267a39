package trino

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/trinodb/trino-go-client/trino"
)

// Config says how to reach one cluster.
type Config struct {
	// URL is http(s)://host:port of the coordinator.
	URL  string
	User string
	// Password (basic authentication, https only) or Token (a bearer
	// JWT); at most one. Never shown in errors.
	Password string
	Token    string
	Catalog  string
	// Session properties sent with every query, e.g. query_max_run_time.
	Session map[string]string
	// RetryTimeout bounds how long one request is retried when the cluster
	// does not answer; 0 means 10 s, so a cluster that is down costs a run
	// seconds, not the driver's default of minutes.
	RetryTimeout time.Duration
}

// Client runs statements on one Trino cluster.
type Client struct {
	db *stdsql.DB
}

// Open returns a client of cfg's cluster. It does not connect: the first
// query does.
func Open(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("trino: url %q: expected http(s)://host:port", cfg.URL)
	}
	if cfg.Password != "" && u.Scheme != "https" {
		return nil, fmt.Errorf("trino: a password is sent only over https; use an https url or a token")
	}
	if cfg.Password != "" {
		u.User = url.UserPassword(cfg.User, cfg.Password)
	} else {
		u.User = url.User(cfg.User)
	}
	retry := cfg.RetryTimeout
	if retry == 0 {
		retry = 10 * time.Second
	}
	attempts := 3
	conn, err := trino.NewConnector(&trino.Config{
		ServerURI:               u.String(),
		Source:                  "lake",
		Catalog:                 cfg.Catalog,
		SessionProperties:       cfg.Session,
		AccessToken:             cfg.Token,
		RequestRetryTimeout:     &retry,
		RequestRetryMaxAttempts: &attempts,
		// DDL and CALL cannot be prepared; lake sends literals only.
		DisableExplicitPrepare: true,
	})
	if err != nil {
		return nil, fmt.Errorf("trino %s: %w", u.Redacted(), err)
	}
	return &Client{db: stdsql.OpenDB(conn)}, nil
}

// DB is the client's database/sql handle, for reading typed values.
func (c *Client) DB() *stdsql.DB { return c.db }

// Close closes the client's connections.
func (c *Client) Close() error { return c.db.Close() }

// Query runs q and returns every row, each value as text: NULL is "",
// arrays and maps are JSON.
func (c *Client) Query(ctx context.Context, q string) ([][]string, error) {
	rows, err := c.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = text(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func text(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case []byte:
		return string(v)
	case time.Time:
		return v.Format("2006-01-02 15:04:05.999999999")
	case []any, map[string]any:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
	return fmt.Sprint(v)
}
