package loaders

import (
	"errors"
	"strings"
)

// Check reports a Query that does not set exactly one of Table and SQL.
func (q Query) Check() error {
	if (q.Table == "") == (q.SQL == "") {
		return errors.New("query " + q.Name + ": set exactly one of table and sql")
	}
	if q.Blocks != nil && q.Table == "" {
		return errors.New("query " + q.Name + ": a block range needs a table, not a SELECT")
	}
	return nil
}

// CheckUnsplit is Check for loaders that are not Splitters: they never get
// a query with Blocks, and refuse one rather than read the whole table.
func (q Query) CheckUnsplit() error {
	if q.Blocks != nil {
		return errors.New("query " + q.Name + ": this source cannot read block ranges")
	}
	return q.Check()
}

// TrimSQL drops trailing semicolons and space, so that a statement can be
// nested as a subquery.
func TrimSQL(sql string) string {
	return strings.TrimRight(strings.TrimSpace(sql), "; \t\r\n")
}

// Redact wraps err so that its text never shows any of secrets (a driver's
// error may quote the DSN it was given); errors.Is and errors.As still
// reach err.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	return &redactedError{err: err, secrets: secrets}
}

type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string {
	msg := e.err.Error()
	for _, s := range e.secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}

func (e *redactedError) Unwrap() error { return e.err }
