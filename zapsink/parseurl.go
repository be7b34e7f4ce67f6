package zapsink

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kafkasink/kafkasink/core"
)

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
//	bootstrapServers       Brokers, comma-separated, instead of the URL's hosts
//	topic                  Topic, instead of the path
//	batchSizeLimit         BatchSizeLimit (a positive integer)
//	period                 Period: a Go duration ("1s", "500ms") or seconds ("5", "0.5")
//	queueLimit             QueueLimit
//	queueByteLimit         QueueByteLimit
//	eagerlyEmitFirstEvent  true or false: DelayFirstEntry is its opposite
//	overflowPolicy         OverflowPolicy: drop_newest, drop_oldest or block (any case, '_' optional)
//	blockTimeout           BlockTimeout (duration or seconds)
//	maxEntryBytes          MaxEntryBytes
//	maxBatchBytes          MaxBatchBytes
//	maxInFlight            MaxInFlight
//	shedLevel              ShedLevel: a level name (trace, debug, info, warn, error, …)
//	shedThreshold          ShedThreshold: a fraction in (0, 1]; 1 turns shedding off
//	compression            Compression: none, gzip, snappy, lz4 or zstd
//	acks                   RequiredAcks: all (-1), leader (1) or none (0); also requiredAcks
//	retryTimeLimit         RetryTimeLimit (duration or seconds)
//	minBackoff             MinBackoff (duration or seconds)
//	maxBackoff             MaxBackoff (duration or seconds)
//	writeTimeout           WriteTimeout (duration or seconds)
//	dialTimeout            DialTimeout (duration or seconds)
//	syncTimeout            SyncTimeout: how long Sync and Close wait (duration or seconds)
//	clientId               ClientID
//	securityProtocol       SecurityProtocol: Plaintext, Ssl, SaslPlaintext or SaslSsl (any case, '_' optional)
//	saslMechanism          SASLMechanism: Plain, ScramSha256 or ScramSha512 (any case, '-' optional)
//	saslUsername           SASLUsername, instead of the URL's user
//	saslPassword           SASLPassword, instead of the URL's password
//	saslPasswordEnv        the name of an environment variable holding SASLPassword
//	sslCaLocation          SSLCALocation: a PEM file of CA certificates
//	spoolDir               SpoolDir: the directory of the on-disk spool (durable mode)
//	spoolByteLimit         SpoolByteLimit: the most bytes of the spool's files
//	spoolInterval          SpoolInterval: how often accepted entries are written to disk (duration or seconds)
//	spoolSync              SpoolSync: how often the spool is fsynced (duration or seconds), or always (every write)
//	formatter              Formatter: json (the logger's JSON, the default), serilog or clef
//	levelKey               LevelKey: the JSON key of the level ("level")
//
// Each parameter sets the [core.Config] field named after it in
// URLConfig.Sink (levelKey sets URLConfig.LevelKey), parsed as core's
// Parse functions ([core.ParseLevel], [core.ParseOverflowPolicy], …) parse
// it.
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
	hostBrokers, topic, err := urlParts(u)
	if err != nil {
		return c, err
	}
	seen, err := applyParams(&c, u.RawQuery)
	if err != nil {
		return c, err
	}
	if err := mergeParts(&c, u, hostBrokers, topic, seen); err != nil {
		return c, err
	}
	if c.Sink.SecurityProtocol == "" && (c.Sink.SASLUsername != "" || c.Sink.SASLPassword != "") {
		c.Sink.SecurityProtocol = core.SASLSSL
	}
	if c.LevelKey == "" {
		c.LevelKey = "level"
	}
	if err := c.Sink.Validate(); err != nil {
		var ce *core.ConfigError
		if errors.As(err, &ce) && paramFor(ce.Field) != "" {
			return c, fmt.Errorf("%w (in the URL: %s)", err, paramFor(ce.Field))
		}
		return c, err
	}
	return c, nil
}

// urlParts checks the URL's shape and returns the brokers of its hosts and
// the topic of its path.
func urlParts(u *url.URL) (hostBrokers []string, topic string, err error) {
	switch {
	case !strings.EqualFold(u.Scheme, Scheme):
		return nil, "", fmt.Errorf("got scheme %q, want %q", u.Scheme, Scheme)
	case u.Opaque != "":
		return nil, "", errors.New("want kafka://host:port/topic, with two slashes")
	case u.Fragment != "":
		return nil, "", errors.New("a fragment (#…) is not allowed")
	}
	if strings.Contains(u.Host, ",,") || strings.HasPrefix(u.Host, ",") || strings.HasSuffix(u.Host, ",") {
		return nil, "", fmt.Errorf("host list %q has an empty entry", u.Host)
	}
	topic = strings.TrimPrefix(u.Path, "/")
	if strings.Contains(u.Path, "@") {
		// Most likely a '/' in the password ended the host early: do not
		// quote what may be the rest of the password.
		return nil, "", errors.New("the path holds '@'; percent-encode '/', '?', '#' and '@' in the user and password")
	}
	if strings.Contains(topic, "/") {
		return nil, "", fmt.Errorf("path %q: want one topic name, without '/'", u.Path)
	}
	return brokers(u.Host), topic, nil
}

// applyParams sets c from the query's parameters, and returns the names of
// those given (urlParam.name → the name as given).
func applyParams(c *URLConfig, rawQuery string) (map[string]string, error) {
	seen := make(map[string]string)
	for _, kv := range strings.Split(rawQuery, "&") {
		if kv == "" {
			continue
		}
		rawKey, rawVal, _ := strings.Cut(kv, "=")
		key, err := url.PathUnescape(rawKey)
		if err != nil {
			return nil, errors.New("a parameter name has invalid percent-encoding")
		}
		p, ok := lookupParam(key)
		if !ok {
			continue // reported below, with every unknown parameter
		}
		if prev, dup := seen[p.name]; dup { // an alias counts as its parameter
			return nil, fmt.Errorf("parameter %s given twice (as %s and %s)", key, prev, key)
		}
		seen[p.name] = key
		val, err := url.PathUnescape(rawVal)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: invalid percent-encoding", key)
		}
		if err := p.set(c, val); err != nil {
			if p.secret {
				return nil, fmt.Errorf("parameter %s: invalid value", key)
			}
			return nil, fmt.Errorf("parameter %s: %w", key, err)
		}
	}
	unknown, hidden, secret := unknownParams(rawQuery)
	switch {
	case hidden > 0:
		// Likely the rest of a password holding a '&': quote none of them.
		return nil, fmt.Errorf("%d unknown parameters after %s, not quoted: they may be part of its value (write a '&' in a password as %%26)",
			len(unknown)+hidden, secret)
	case len(unknown) > 0:
		return nil, fmt.Errorf("unknown parameters %s (want %s)", strings.Join(unknown, ", "), paramNames)
	}
	return seen, nil
}

// mergeParts sets the settings that the URL's hosts, path and user info
// give, refusing those given a second way by a parameter.
func mergeParts(c *URLConfig, u *url.URL, hostBrokers []string, topic string, seen map[string]string) error {
	if len(hostBrokers) > 0 {
		if _, ok := seen["bootstrapServers"]; ok {
			return errors.New("brokers given both as the URL's hosts and as bootstrapServers")
		}
		c.Sink.Brokers = hostBrokers
	}
	if topic != "" {
		if c.Sink.Topic != "" && c.Sink.Topic != topic {
			return fmt.Errorf("topic given both as the path (%q) and as the topic parameter (%q)", topic, c.Sink.Topic)
		}
		c.Sink.Topic = topic
	}
	if u.User != nil {
		if _, ok := seen["saslUsername"]; ok {
			return errors.New("SASL user given both in the URL and as saslUsername")
		}
		c.Sink.SASLUsername = u.User.Username()
		if pw, ok := u.User.Password(); ok {
			if c.Sink.SASLPassword != "" {
				return errors.New("SASL password given both in the URL and as a parameter")
			}
			c.Sink.SASLPassword = pw
		}
	}
	return nil
}

// unknownParams returns the names in query that are not parameters, as
// given, sorted, and how many more come after a secret parameter
// (saslPassword), the first of which it names, as documented: those are
// not returned, since a '&' in the password that is not percent-encoded
// makes its pieces look like names. Only names: values may be secrets.
func unknownParams(query string) (unknown []string, hidden int, secret string) {
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		rawKey, _, _ := strings.Cut(kv, "=")
		key, err := url.PathUnescape(rawKey)
		if err != nil {
			key = rawKey
		}
		switch p, ok := lookupParam(key); {
		case ok:
			if p.secret && secret == "" {
				secret = p.name
			}
		case secret != "":
			hidden++
		default:
			unknown = append(unknown, strconv.Quote(key))
		}
	}
	slices.Sort(unknown)
	return slices.Compact(unknown), hidden, secret
}
