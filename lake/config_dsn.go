// DSNs of sources: redacting their passwords, checking their shape and
// resolving the file of a SQLite DSN.

package lake

import (
	"fmt"
	"regexp"
	"strings"
)

// redacted replaces a password in a DSN.
const redacted = "xxxxx"

// postgresDSNExpected says what a postgres DSN looks like.
const postgresDSNExpected = "expected a URL such as postgres://user:${PASSWORD}@host:5432/db or key=value pairs"

var (
	urlPasswordParamRE = regexp.MustCompile(`(?i)((?:^|[?&;])[a-z_]*password=)[^&]*`)
	kvPasswordRE       = regexp.MustCompile(`(?i)(\b[a-z_]*password\s*=\s*)('(?:[^'\\]|\\.)*'|'.*|\S*)`)
)

// RedactDSN hides the passwords of a DSN: the password of a URL's userinfo
// and password= parameters, in URL and key=value form, and the password of
// MySQL's user:password@tcp(host:3306)/db form, become "xxxxx".
// When unsure where a password ends it hides more, never less.
func RedactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		rest := redactUserinfo(dsn[i+3:])
		return dsn[:i+3] + urlPasswordParamRE.ReplaceAllString(rest, "${1}"+redacted)
	}
	if strings.Contains(dsn, "=") {
		dsn = kvPasswordRE.ReplaceAllString(dsn, "${1}"+redacted)
	}
	// Then user:password@, which MySQL DSNs begin with even when they end
	// in ?param=value; on a key=value DSN it can only hide more.
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
		return "not a postgres DSN; " + postgresDSNExpected + " such as host=db dbname=prod"
	}
	return ""
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
