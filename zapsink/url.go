package zapsink

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/kafkasink/kafkasink/core"
)

// Scheme is the URL scheme [RegisterURLSink] registers with zap.
const Scheme = "kafka"

var (
	registerOnce sync.Once
	registerErr  error
)

// RegisterURLSink registers the kafka:// URL sink with zap, so that
// zap.Config.OutputPaths and zap.Open accept URLs such as
//
//	kafka://broker1:9092,broker2:9092/app-logs?batchSizeLimit=100&period=1s
//
// See [ParseURL] for what the URL may hold. Registration is global to the
// process and done once: later calls do nothing and return the first
// call's result, which is an error only if another package registered the
// "kafka" scheme first. Importing zapsink registers nothing by itself.
//
// zap never closes the sinks it opens for a zap.Config: their goroutine and
// connections live until the process ends, and only Logger.Sync (and each
// entry above ErrorLevel, which zap syncs itself) flushes them. Call
// [CloseURLSinks] at shutdown to deliver what is still queued and release
// them, or use [New] and zapcore.NewTee for a sink you close yourself.
func RegisterURLSink() error {
	registerOnce.Do(func() {
		registerErr = zap.RegisterSink(Scheme, func(u *url.URL) (zap.Sink, error) {
			return openURLSink(u)
		})
	})
	return registerErr
}

// URLConfig is what a kafka:// URL configures: see [ParseURL].
type URLConfig struct {
	// Sink is the sink's configuration.
	Sink core.Config

	// LevelKey is the levelKey parameter: the JSON key from which the URL
	// sink reads each entry's level. If absent, "level".
	LevelKey string
}

// ParseURL parses a kafka:// URL into the configuration of a sink, as the
// URL sink of [RegisterURLSink] does. The URL has the form
//
//	kafka://[user[:password]@]host1:port1[,host2:port2…][/topic][?param=value&…]
//
// The hosts are the bootstrap brokers (port 9092 if omitted; none means
// localhost:9092; with several hosts, Go's URL parser wants a port on all
// of them or on none), the path is the topic ("logs" if empty). User info sets
// the SASL credentials and, unless securityProtocol says otherwise,
// SASL_SSL. Parameter names follow Serilog.Sinks.Kafka's, and match without
// regard to case:
//
//	bootstrapServers       brokers, comma-separated, instead of the URL's hosts
//	topic                  the topic, instead of the path
//	batchSizeLimit         core.Config.BatchSizeLimit (a positive integer)
//	period                 Period: a Go duration ("1s", "500ms") or seconds ("5", "0.5")
//	queueLimit             QueueLimit
//	queueByteLimit         QueueByteLimit
//	eagerlyEmitFirstEvent  true or false: DelayFirstEntry is its opposite
//	overflowPolicy         dropNewest, dropOldest or block
//	blockTimeout           BlockTimeout (duration or seconds)
//	maxEntryBytes          MaxEntryBytes
//	maxBatchBytes          MaxBatchBytes
//	maxInFlight            MaxInFlight
//	shedLevel              ShedLevel: a level name (trace, debug, info, warn, error, …)
//	shedThreshold          ShedThreshold: a fraction in (0, 1]; 1 turns shedding off
//	compression            none, gzip, snappy, lz4 or zstd
//	acks                   all (-1), leader (1) or none (0); also requiredAcks
//	retryTimeLimit         RetryTimeLimit (duration or seconds)
//	minBackoff, maxBackoff MinBackoff, MaxBackoff (duration or seconds)
//	writeTimeout           WriteTimeout (duration or seconds)
//	dialTimeout            DialTimeout (duration or seconds)
//	clientId               ClientID
//	securityProtocol       Plaintext, Ssl, SaslPlaintext or SaslSsl (any case, '_' optional)
//	saslMechanism          Plain, ScramSha256 or ScramSha512 (any case, '-' optional)
//	saslUsername           SASLUsername, instead of the URL's user
//	saslPassword           SASLPassword, instead of the URL's password
//	saslPasswordEnv        the name of an environment variable holding SASLPassword
//	sslCaLocation          SSLCALocation: a PEM file of CA certificates
//	syncTimeout            SyncTimeout: how long Sync and Close wait (duration or seconds)
//	levelKey               the JSON key of the level ("level")
//
// Values are percent-decoded, but '+' stays a plus sign (base64 secrets
// hold plus signs): write a space as %20. An unknown parameter, one given
// twice, a value out of range and a setting given two ways (host and
// bootstrapServers, path and topic, user info and saslUsername) are errors
// naming the parameter, as is a configuration [core.Config.Validate]
// refuses.
//
// No error from ParseURL holds the password. zap's own errors, however,
// quote the whole URL ("open sink \"kafka://…\": …"): keep the password
// out of the URL with saslPasswordEnv.
func ParseURL(rawURL string) (URLConfig, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return URLConfig{}, urlError(rawURL, nil, parseError(rawURL, err))
	}
	cfg, err := configFromURL(u)
	if err != nil {
		return URLConfig{}, urlError(rawURL, u, err)
	}
	return cfg, nil
}

// parseError describes an error of url.Parse without quoting the URL.
func parseError(raw string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ee url.EscapeError
	switch {
	case errors.As(err, &ee):
		return errors.New("invalid percent-encoding")
	case strings.Contains(raw, "@"):
		// The user info may be what broke the parse (a '/', '?' or '#'
		// in the password ends the host early), and the error would quote
		// a piece of it.
		return errors.New("not a valid URL; percent-encode '/', '?', '#' and '@' in the user and password")
	}
	return err
}

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
// saslPassword parameter, and the raw text between the user name and the
// last '@', whole and in the pieces a '/', '?' or '#' would cut it into.
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
				if strings.EqualFold(k, "saslPassword") && v != "" {
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

// param sets one query parameter on c.
type param func(c *URLConfig, v string) error

// params are the query parameters, by lower-case name.
var params = map[string]param{
	"bootstrapservers": func(c *URLConfig, v string) error {
		c.Sink.Brokers = brokers(v)
		return nil
	},
	"topic":                 func(c *URLConfig, v string) error { c.Sink.Topic = v; return nil },
	"batchsizelimit":        intParam(func(c *URLConfig) *int { return &c.Sink.BatchSizeLimit }),
	"period":                durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.Period }),
	"queuelimit":            intParam(func(c *URLConfig) *int { return &c.Sink.QueueLimit }),
	"queuebytelimit":        intParam(func(c *URLConfig) *int { return &c.Sink.QueueByteLimit }),
	"eagerlyemitfirstevent": boolParam(func(c *URLConfig, b bool) { c.Sink.DelayFirstEntry = !b }),
	"overflowpolicy": func(c *URLConfig, v string) error {
		p, err := core.ParseOverflowPolicy(v)
		c.Sink.OverflowPolicy = p
		return err
	},
	"blocktimeout":  durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.BlockTimeout }),
	"maxentrybytes": intParam(func(c *URLConfig) *int { return &c.Sink.MaxEntryBytes }),
	"maxbatchbytes": intParam(func(c *URLConfig) *int { return &c.Sink.MaxBatchBytes }),
	"maxinflight":   intParam(func(c *URLConfig) *int { return &c.Sink.MaxInFlight }),
	"compression": func(c *URLConfig, v string) (err error) {
		c.Sink.Compression, err = core.ParseCompression(v)
		return err
	},
	"acks":           acksParam,
	"requiredacks":   acksParam,
	"retrytimelimit": durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.RetryTimeLimit }),
	"minbackoff":     durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.MinBackoff }),
	"maxbackoff":     durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.MaxBackoff }),
	"writetimeout":   durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.WriteTimeout }),
	"dialtimeout":    durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.DialTimeout }),
	"clientid":       func(c *URLConfig, v string) error { c.Sink.ClientID = v; return nil },
	"securityprotocol": func(c *URLConfig, v string) (err error) {
		c.Sink.SecurityProtocol, err = core.ParseSecurityProtocol(v)
		return err
	},
	"saslmechanism": func(c *URLConfig, v string) (err error) {
		c.Sink.SASLMechanism, err = core.ParseSASLMechanism(v)
		return err
	},
	"saslusername": func(c *URLConfig, v string) error { c.Sink.SASLUsername = v; return nil },
	"saslpassword": func(c *URLConfig, v string) error { c.Sink.SASLPassword = v; return nil },
	"saslpasswordenv": func(c *URLConfig, v string) error {
		pw, ok := os.LookupEnv(v)
		if !ok {
			return fmt.Errorf("environment variable %q is not set", v)
		}
		c.Sink.SASLPassword = pw
		return nil
	},
	"shedlevel": func(c *URLConfig, v string) error {
		l, err := core.ParseLevel(v)
		if err != nil {
			return err
		}
		c.Sink.ShedLevel = l
		return nil
	},
	"shedthreshold": func(c *URLConfig, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return fmt.Errorf("got %q, want a fraction above 0, at most 1 (1 turns shedding off)", v)
		}
		c.Sink.ShedThreshold = f
		return nil
	},
	"sslcalocation": func(c *URLConfig, v string) error { c.Sink.SSLCALocation = v; return nil },
	"synctimeout":   durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.SyncTimeout }),
	"levelkey": func(c *URLConfig, v string) error {
		if v == "" {
			return errors.New(`got "", want a JSON key`)
		}
		c.LevelKey = v
		return nil
	},
}

// paramNames are the parameters' names as documented, for errors.
var paramNames = []string{
	"bootstrapServers", "topic", "batchSizeLimit", "period", "queueLimit", "queueByteLimit",
	"eagerlyEmitFirstEvent", "overflowPolicy", "blockTimeout", "maxEntryBytes", "maxBatchBytes",
	"maxInFlight", "shedLevel", "shedThreshold", "compression", "acks", "requiredAcks", "retryTimeLimit", "minBackoff",
	"maxBackoff", "writeTimeout", "dialTimeout", "clientId", "securityProtocol", "saslMechanism",
	"saslUsername", "saslPassword", "saslPasswordEnv", "sslCaLocation", "syncTimeout", "levelKey",
}

func acksParam(c *URLConfig, v string) (err error) {
	c.Sink.RequiredAcks, err = core.ParseAcks(v)
	return err
}

func intParam(field func(*URLConfig) *int) param {
	return func(c *URLConfig, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("got %q, want a positive integer", v)
		}
		*field(c) = n
		return nil
	}
}

func boolParam(set func(*URLConfig, bool)) param {
	return func(c *URLConfig, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("got %q, want true or false", v)
		}
		set(c, b)
		return nil
	}
}

// durationParam accepts a Go duration or, as Serilog's period, a number of
// seconds.
func durationParam(field func(*URLConfig) *time.Duration) param {
	return func(c *URLConfig, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			secs, ferr := strconv.ParseFloat(v, 64)
			if ferr != nil || secs > float64(1<<62)/float64(time.Second) {
				return fmt.Errorf("got %q, want a duration such as 1s or 500ms, or seconds", v)
			}
			d = time.Duration(secs * float64(time.Second))
		}
		if d <= 0 {
			return fmt.Errorf("got %q, want a positive duration", v)
		}
		*field(c) = d
		return nil
	}
}

// brokers splits a comma-separated broker list, giving port 9092 to hosts
// without one.
func brokers(s string) []string {
	var bs []string
	for _, b := range strings.Split(s, ",") {
		b = strings.TrimSpace(b)
		if b == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(b); err != nil && (!strings.Contains(b, ":") || strings.HasSuffix(b, "]")) {
			b = net.JoinHostPort(strings.Trim(b, "[]"), "9092")
		}
		bs = append(bs, b)
	}
	return bs
}

func configFromURL(u *url.URL) (URLConfig, error) {
	var c URLConfig
	switch {
	case !strings.EqualFold(u.Scheme, Scheme):
		return c, fmt.Errorf("got scheme %q, want %q", u.Scheme, Scheme)
	case u.Opaque != "":
		return c, errors.New("want kafka://host:port/topic, with two slashes")
	case u.Fragment != "":
		return c, errors.New("a fragment (#…) is not allowed")
	}
	if strings.Contains(u.Host, ",,") || strings.HasPrefix(u.Host, ",") || strings.HasSuffix(u.Host, ",") {
		return c, fmt.Errorf("host list %q has an empty entry", u.Host)
	}
	hostBrokers := brokers(u.Host)
	topic := strings.TrimPrefix(u.Path, "/")
	if strings.Contains(u.Path, "@") {
		// Most likely a '/' in the password ended the host early: do not
		// quote what may be the rest of the password.
		return c, errors.New("the path holds '@'; percent-encode '/', '?', '#' and '@' in the user and password")
	}
	if strings.Contains(topic, "/") {
		return c, fmt.Errorf("path %q: want one topic name, without '/'", u.Path)
	}

	seen := make(map[string]string) // lower-case name → name as given
	for _, kv := range strings.Split(u.RawQuery, "&") {
		if kv == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(kv, "=")
		key, err := url.PathUnescape(rawKey)
		if err != nil {
			return c, errors.New("a parameter name has invalid percent-encoding")
		}
		lk := strings.ToLower(key)
		if lk == "requiredacks" {
			lk = "acks" // an alias: the two must not both be given
		}
		set, ok := params[lk]
		if !ok {
			continue // reported below, with every unknown parameter
		}
		if prev, dup := seen[lk]; dup {
			return c, fmt.Errorf("parameter %s given twice (as %s and %s)", key, prev, key)
		}
		seen[lk] = key
		val, err := url.PathUnescape(rawVal)
		if err != nil {
			return c, fmt.Errorf("parameter %s: invalid percent-encoding", key)
		}
		if err := set(&c, val); err != nil {
			if lk == "saslpassword" || lk == "saslusername" {
				return c, fmt.Errorf("parameter %s: invalid value", key)
			}
			return c, fmt.Errorf("parameter %s: %w", key, err)
		}
	}
	if unknown := unknownParams(u.RawQuery); len(unknown) > 0 {
		return c, fmt.Errorf("unknown parameters %s (want %s)", strings.Join(unknown, ", "), strings.Join(paramNames, ", "))
	}

	// Settings that can come two ways.
	if len(hostBrokers) > 0 {
		if _, ok := seen["bootstrapservers"]; ok {
			return c, errors.New("brokers given both as the URL's hosts and as bootstrapServers")
		}
		c.Sink.Brokers = hostBrokers
	}
	if topic != "" {
		if c.Sink.Topic != "" && c.Sink.Topic != topic {
			return c, fmt.Errorf("topic given both as the path (%q) and as the topic parameter (%q)", topic, c.Sink.Topic)
		}
		c.Sink.Topic = topic
	}
	if u.User != nil {
		if _, ok := seen["saslusername"]; ok {
			return c, errors.New("SASL user given both in the URL and as saslUsername")
		}
		c.Sink.SASLUsername = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			if c.Sink.SASLPassword != "" {
				return c, errors.New("SASL password given both in the URL and as a parameter")
			}
			c.Sink.SASLPassword = pw
		}
	}
	if c.Sink.SecurityProtocol == "" && (c.Sink.SASLUsername != "" || c.Sink.SASLPassword != "") {
		c.Sink.SecurityProtocol = core.SASLSSL
	}
	if c.LevelKey == "" {
		c.LevelKey = "level"
	}
	if err := c.Sink.Validate(); err != nil {
		var ce *core.ConfigError
		if errors.As(err, &ce) {
			return c, fmt.Errorf("%w (in the URL: %s)", err, paramFor(ce.Field))
		}
		return c, err
	}
	return c, nil
}

// paramFor names the part of the URL that sets the Config field.
func paramFor(field string) string {
	field, _, _ = strings.Cut(field, "[")
	switch field {
	case "Brokers":
		return "the hosts or bootstrapServers"
	case "Topic":
		return "the path or topic"
	case "SASLUsername":
		return "the user or saslUsername"
	case "SASLPassword":
		return "the password, saslPassword or saslPasswordEnv"
	case "SecurityProtocol":
		return "securityProtocol"
	case "SASLMechanism":
		return "saslMechanism"
	case "SSLCALocation":
		return "sslCaLocation"
	case "RequiredAcks":
		return "acks"
	case "ClientID":
		return "clientId"
	case "DelayFirstEntry":
		return "eagerlyEmitFirstEvent"
	}
	if field == "" {
		return "?"
	}
	return strings.ToLower(field[:1]) + field[1:]
}

// unknownParams returns the names in query that are not parameters, as
// given, sorted. Only names: values may be secrets.
func unknownParams(query string) []string {
	var unknown []string
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		rawKey, _, _ := strings.Cut(kv, "=")
		key, err := url.PathUnescape(rawKey)
		if err != nil {
			key = rawKey
		}
		if _, ok := params[strings.ToLower(key)]; !ok {
			unknown = append(unknown, strconv.Quote(key))
		}
	}
	slices.Sort(unknown)
	return slices.Compact(unknown)
}

// urlSink is the zap.Sink behind a kafka:// URL.
type urlSink struct {
	sink        *core.Sink
	syncTimeout time.Duration
	levelKey    string
}

var _ zap.Sink = (*urlSink)(nil)

// openURLSinks are the URL sinks not closed yet, for CloseURLSinks.
var openURLSinks struct {
	sync.Mutex
	m map[*urlSink]struct{}
}

func openURLSink(u *url.URL) (*urlSink, error) {
	cfg, err := configFromURL(u)
	if err != nil {
		return nil, urlError(u.String(), u, err)
	}
	s, err := core.New(cfg.Sink)
	if err != nil {
		return nil, urlError(u.String(), u, err)
	}
	us := &urlSink{sink: s, syncTimeout: s.Config().SyncTimeout, levelKey: cfg.LevelKey}
	openURLSinks.Lock()
	if openURLSinks.m == nil {
		openURLSinks.m = make(map[*urlSink]struct{})
	}
	openURLSinks.m[us] = struct{}{}
	openURLSinks.Unlock()
	return us, nil
}

// Write hands one entry encoded by zap to the sink, which copies it. zap
// gives the bytes only, so the level is read from the levelKey field and
// the time is now. Like [Core.Write], it reports entries the sink refuses
// through the sink's statistics and ErrorHandler, not as errors.
func (s *urlSink) Write(p []byte) (int, error) {
	e := core.Entry{Time: time.Now(), JSON: p}
	if v, ok := e.RawField(s.levelKey); ok && len(v) >= 2 && v[0] == '"' {
		e.Level, _ = core.ParseLevel(string(v[1 : len(v)-1]))
	}
	_ = s.sink.Write(e)
	return len(p), nil
}

// Sync flushes the sink, waiting up to its Config.SyncTimeout. After Close it
// returns nil.
func (s *urlSink) Sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.syncTimeout)
	defer cancel()
	if err := s.sink.Flush(ctx); err != nil && !errors.Is(err, core.ErrClosed) {
		return err
	}
	return nil
}

// Close delivers what is queued, waiting up to the sink's
// Config.SyncTimeout, and
// closes the sink. zap calls it only for sinks from zap.Open.
func (s *urlSink) Close() error {
	openURLSinks.Lock()
	delete(openURLSinks.m, s)
	openURLSinks.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), s.syncTimeout)
	defer cancel()
	return s.sink.Close(ctx)
}

// CloseURLSinks closes every sink opened from a kafka:// URL and not closed
// yet, each waiting up to its Config.SyncTimeout to deliver what is queued, and
// returns their errors joined. zap never closes the sinks of a zap.Config:
// call CloseURLSinks at shutdown, after the last log call, if entries
// logged since the last Sync matter. Loggers using those sinks must not log
// afterwards (their entries would be dropped and counted).
func CloseURLSinks() error {
	openURLSinks.Lock()
	sinks := make([]*urlSink, 0, len(openURLSinks.m))
	for s := range openURLSinks.m {
		sinks = append(sinks, s)
	}
	openURLSinks.Unlock()
	var errs []error
	for _, s := range sinks {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
