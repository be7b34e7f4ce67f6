package zapsink

import (
	"net/url"
	"slices"
	"strings"
)

// urlError prefixes err and removes from it anything that may be the
// password, as a last line of defence.
func urlError(raw string, u *url.URL, err error) error {
	msg := "zapsink: kafka URL: " + err.Error()
	for _, s := range secrets(raw, u) {
		if len(s) >= 3 {
			msg = strings.ReplaceAll(msg, s, "[REDACTED]")
		}
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError keeps the original error for errors.Is and errors.As
// (such as a *core.ConfigError), with a message free of secrets.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// secrets returns what in raw may be a password: the password of u, the
// values of the secret parameters (saslPassword), and the raw text between
// the user name and the last '@', whole and in the pieces a '/', '?' or
// '#' would cut it into.
func secrets(raw string, u *url.URL) []string {
	var ss []string
	if u != nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			ss = append(ss, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			info := rest[:at]
			if _, pw, ok := strings.Cut(info, ":"); ok {
				ss = append(ss, pw)
				ss = append(ss, strings.FieldsFunc(pw, func(r rune) bool { return r == '/' || r == '?' || r == '#' })...)
			}
		}
		if _, q, ok := strings.Cut(rest, "?"); ok {
			for _, kv := range strings.Split(q, "&") {
				k, v, _ := strings.Cut(kv, "=")
				if name, err := url.PathUnescape(k); err == nil {
					k = name
				}
				if p, ok := lookupParam(k); ok && p.secret && v != "" {
					ss = append(ss, v)
					if d, err := url.PathUnescape(v); err == nil {
						ss = append(ss, d)
					}
				}
			}
		}
	}
	// Longest first, so that a piece does not spoil a longer match.
	slices.SortFunc(ss, func(a, b string) int { return len(b) - len(a) })
	return ss
}
