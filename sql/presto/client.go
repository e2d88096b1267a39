package presto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Config says how to reach one cluster.
type Config struct {
	// URL is http(s)://host:port of the coordinator.
	URL  string
	User string
	// Password (basic authentication, https only) or Token (a bearer
	// token); at most one. Never shown in errors.
	Password string
	Token    string
	Catalog  string
	// Session properties sent with every query.
	Session map[string]string
	// HeaderPrefix is "X-Presto-" when empty; "X-Trino-" speaks to Trino.
	HeaderPrefix string
	// Timeout bounds one HTTP request; 0 means 30 s.
	Timeout time.Duration
}

// Client runs statements on one cluster.
type Client struct {
	cfg  Config
	base *url.URL
	http *http.Client
}

// Error is a query the server failed.
type Error struct {
	Name    string // errorName, e.g. SYNTAX_ERROR
	Type    string // errorType, e.g. USER_ERROR
	Message string
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Open returns a client of cfg's cluster. It does not connect.
func Open(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("presto: url %q: expected http(s)://host:port", cfg.URL)
	}
	if cfg.Password != "" && u.Scheme != "https" {
		return nil, errors.New("presto: a password is sent only over https; use an https url or a token")
	}
	if cfg.HeaderPrefix == "" {
		cfg.HeaderPrefix = "X-Presto-"
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	return &Client{cfg: cfg, base: u, http: &http.Client{Timeout: timeout}}, nil
}

// results is one page of the protocol's answer.
type results struct {
	ID      string `json:"id"`
	NextURI string `json:"nextUri"`
	Columns []struct {
		Name string `json:"name"`
	} `json:"columns"`
	Data  [][]json.RawMessage `json:"data"`
	Error *struct {
		Message   string `json:"message"`
		ErrorName string `json:"errorName"`
		ErrorType string `json:"errorType"`
	} `json:"error"`
}

// Query runs q and returns every row, each value as text: NULL is "",
// strings as they are, numbers and booleans as JSON spells them, arrays
// and maps as JSON.
func (c *Client) Query(ctx context.Context, q string) ([][]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath("/v1/statement").String(), strings.NewReader(q))
	if err != nil {
		return nil, err
	}
	c.headers(req, true)
	page, err := c.do(req)
	if err != nil {
		return nil, err
	}
	var rows [][]string
	for {
		if page.Error != nil {
			return nil, &Error{Name: page.Error.ErrorName, Type: page.Error.ErrorType, Message: page.Error.Message}
		}
		for _, raw := range page.Data {
			row := make([]string, len(raw))
			for i, v := range raw {
				row[i] = text(v)
			}
			rows = append(rows, row)
		}
		if page.NextURI == "" {
			return rows, nil
		}
		next := page.NextURI
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		c.headers(req, false)
		if page, err = c.do(req); err != nil {
			if ctx.Err() != nil {
				c.cancel(next)
			}
			return nil, err
		}
	}
}

func (c *Client) headers(req *http.Request, first bool) {
	p := c.cfg.HeaderPrefix
	req.Header.Set(p+"User", c.cfg.User)
	req.Header.Set("User-Agent", "lake")
	switch {
	case c.cfg.Password != "":
		req.SetBasicAuth(c.cfg.User, c.cfg.Password)
	case c.cfg.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	if !first {
		return
	}
	req.Header.Set(p+"Source", "lake")
	if c.cfg.Catalog != "" {
		req.Header.Set(p+"Catalog", c.cfg.Catalog)
	}
	keys := make([]string, 0, len(c.cfg.Session))
	for k := range c.cfg.Session {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req.Header.Add(p+"Session", k+"="+url.QueryEscape(c.cfg.Session[k]))
	}
}

// do sends req, retrying while the server answers 502, 503 or 504 (the
// protocol's "try again"), and decodes the page.
func (c *Client) do(req *http.Request) (*results, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read answer of %s: %w", req.URL.Redacted(), err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			var page results
			if err := json.Unmarshal(body, &page); err != nil {
				return nil, fmt.Errorf("decode answer of %s: %w", req.URL.Redacted(), err)
			}
			return &page, nil
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			if attempt < 5 {
				select {
				case <-req.Context().Done():
					return nil, req.Context().Err()
				case <-time.After(time.Duration(attempt+1) * 100 * time.Millisecond):
				}
				if req.GetBody != nil {
					if req.Body, err = req.GetBody(); err != nil {
						return nil, err
					}
				}
				continue
			}
		}
		msg := strings.TrimSpace(string(bytes.ToValidUTF8(body, nil)))
		if len(msg) > 300 {
			msg = msg[:300] + "..."
		}
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", req.Method, req.URL.Redacted(), resp.StatusCode, msg)
	}
}

// cancel asks the server to stop a query whose client went away.
func (c *Client) cancel(nextURI string) {
	ctx, done := context.WithTimeout(context.Background(), 2*time.Second)
	defer done()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, nextURI, nil)
	if err != nil {
		return
	}
	c.headers(req, false)
	if resp, err := c.http.Do(req); err == nil {
		resp.Body.Close()
	}
}

func text(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			return s
		}
	}
	return string(v)
}
