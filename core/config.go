package core

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config configures a [Sink]. The zero value is valid and means: send to
// topic "logs" on localhost:9092 in plaintext, batches of 50 entries or every
// 5 seconds, the first entry at once, every record acknowledged by all
// in-sync replicas, retried for up to 10 minutes. Each field's comment gives
// its default. A Config must not be changed after it is passed to [New].
//
// The names follow Serilog.Sinks.Kafka's parameters (bootstrapServers,
// batchSizeLimit, period, …) so that a fleet can configure .NET and Go
// services alike; the README maps each one.
type Config struct {
	// Brokers lists the bootstrap brokers as host:port.
	// If empty, []string{"localhost:9092"}.
	Brokers []string

	// Topic is the topic entries go to when TopicDecider is nil or returns "".
	// If empty, "logs".
	Topic string

	// TopicDecider chooses the topic of each entry; "" means Topic. It runs
	// on the sink's batching goroutine, never on the logging call's, and
	// must be safe to call there: fast, no blocking, no logging into this
	// sink. The Entry is valid only during the call. If nil, every entry
	// goes to Topic.
	TopicDecider func(Entry) string

	// KeyDecider chooses the record key of each entry (nil means no key).
	// Records with the same key go to the same partition (murmur2, as the
	// Java client), so they keep their order. Entries without a key fill
	// one partition per batch and move on (sticky partitioning). Called like
	// TopicDecider; the result is copied, and may alias Entry.JSON or
	// Entry.Key. If nil, the key is the entry's own Entry.Key (set by an
	// adapter, such as slogsink's from the request's context), nil if none.
	KeyDecider func(Entry) []byte

	// Headers are added to every record. If nil, none.
	Headers []Header

	// HeaderDecider returns extra headers for one entry, added after
	// Headers and the entry's own Entry.Headers. Called like TopicDecider;
	// the result is copied before the next call. If nil, none.
	HeaderDecider func(Entry) []Header

	// Formatter turns an entry into the record value. It runs on the
	// batching goroutine. If nil, the logger's JSON goes to Kafka unchanged
	// (without its trailing newline). [SerilogJSON] and [CLEF] write
	// Serilog's shapes; [ParseFormatter] names them.
	Formatter Formatter

	// BatchSizeLimit is the most entries in one batch: a batch is sent as
	// soon as this many entries are queued, without waiting for Period.
	// If zero, 50.
	BatchSizeLimit int

	// Period is the longest an entry waits in the queue before its batch is
	// sent. If zero, 5s.
	Period time.Duration

	// DelayFirstEntry turns off the eager emission of the first entry. By
	// default (false) the first entry written after New is sent at once,
	// like Serilog's EagerlyEmitFirstEvent, so a misconfigured broker shows
	// up at start-up rather than one Period later.
	DelayFirstEntry bool

	// QueueLimit is the most entries held by the sink at once: queued,
	// in flight or waiting for a retry. When it is reached, OverflowPolicy
	// decides. If zero, 100000.
	QueueLimit int

	// QueueByteLimit bounds the bytes of the entries held, as QueueLimit
	// bounds their number. If zero, 64 MiB.
	QueueByteLimit int

	// OverflowPolicy says what Write does when the queue is full.
	// If zero, DropNewest: Write drops the new entry and returns
	// ErrQueueFull, never blocking.
	OverflowPolicy OverflowPolicy

	// ShedLevel and ShedThreshold shed load by level: once the queue holds
	// more than ShedThreshold of QueueLimit (or QueueByteLimit), Write drops
	// entries below ShedLevel (returning ErrQueueFull, counted as
	// Dropped.Shed), so that the room left goes to more severe entries.
	// NoLevel entries count as below every level. If zero, WarnLevel and
	// 0.8: debug and info entries go first when Kafka cannot keep up;
	// under the Block policy, whose point is to lose nothing, shedding is
	// off unless ShedThreshold is set. Set ShedThreshold to 1 to turn
	// shedding off.
	ShedLevel     Level
	ShedThreshold float64

	// BlockTimeout is the longest Write waits for room under the Block
	// policy before it drops the entry. If zero, 1s.
	BlockTimeout time.Duration

	// MaxEntryBytes is the largest entry accepted (its JSON, and its
	// formatted value). Larger entries are rejected alone with ErrTooLarge.
	// Keep it at or below the topics' max.message.bytes. If zero, 1000000
	// (Kafka's default limit, less room for the batch header).
	MaxEntryBytes int

	// MaxBatchBytes bounds the bytes of the records in one produce request
	// to one partition. If zero, 1000000 (keep it under the brokers'
	// message.max.bytes; Azure Event Hubs needs under 1 MB).
	MaxBatchBytes int

	// MaxInFlight is the most produce requests in flight at once. There
	// is at most one per partition, so order is kept per partition.
	// If zero, 5.
	MaxInFlight int

	// Compression is the codec for record batches. If empty, CompressionNone.
	Compression Compression

	// RequiredAcks is how many replicas must acknowledge a record. If zero,
	// AcksAll: unlike kafka-go's Writer, whose zero value asks for no
	// acknowledgement at all and loses rejected records silently.
	RequiredAcks Acks

	// RetryTimeLimit bounds how long an entry may wait for delivery,
	// counted from Write, as Kafka's delivery.timeout.ms: an entry still
	// undelivered after it, failing or queued behind an outage, is
	// dropped, counted as Dropped.RetriesExhausted and written to
	// Fallback. It is checked when an attempt fails and as entries leave
	// the queue, to within RetryTimeLimit/64. If zero, 10 minutes (as
	// Serilog's RetryTimeLimit).
	RetryTimeLimit time.Duration

	// MinBackoff and MaxBackoff bound the wait between retries of a
	// partition: it starts at MinBackoff and doubles (with jitter) up to
	// MaxBackoff. If zero, 100ms and 10s.
	MinBackoff, MaxBackoff time.Duration

	// SyncTimeout bounds [Sink.Sync], the flush that loggers without a
	// context call: zap's Sync and the flush after its DPanic, Panic and
	// Fatal entries, zerolog's Close on Fatal. If zero, 5s.
	SyncTimeout time.Duration

	// WriteTimeout bounds one produce request. If zero, 10s.
	WriteTimeout time.Duration

	// DialTimeout bounds connecting to a broker, TLS and SASL included.
	// If zero, 5s.
	DialTimeout time.Duration

	// ClientID is the client id sent to the brokers. If empty, "kafkasink".
	ClientID string

	// SecurityProtocol is how the sink talks to the brokers. If empty,
	// Plaintext, or SSL when TLS is set.
	SecurityProtocol SecurityProtocol

	// SASLMechanism is the SASL mechanism for SASLPlaintext and SASLSSL.
	// If empty, Plain.
	SASLMechanism SASLMechanism

	// SASLUsername and SASLPassword are the SASL credentials; required with
	// the SASL protocols. For Azure Event Hubs the username is
	// "$ConnectionString" and the password the connection string. The
	// password never appears in errors, logs or String output.
	SASLUsername, SASLPassword string

	// SSLCALocation is a PEM file of CA certificates that the brokers'
	// certificates are checked against, instead of the system's roots.
	// Only with SSL and SASLSSL. If empty, the system roots (or TLS's).
	SSLCALocation string

	// TLS is the TLS configuration for SSL and SASLSSL, for full control
	// (client certificates, ServerName, …). It is cloned; SSLCALocation, if
	// set, replaces its RootCAs. If nil, a default configuration.
	TLS *tls.Config

	// ErrorHandler receives the sink's background errors: failed produce
	// requests, retries, drops. It is called from the sink's goroutines,
	// possibly concurrently, and must not block, nor log into this sink.
	// It gets every error, except that the drops of Write (queue full,
	// shed), which come as fast as the application logs, arrive summed up,
	// at most once a second per reason; a handler that logs errors should
	// still rate-limit, as the default does.
	// If nil, errors are printed to os.Stderr as single lines prefixed
	// "kafkasink:", at most one line a second, the rest aggregated.
	ErrorHandler func(error)

	// Fallback receives every entry that is finally dropped (queue full,
	// too large, retries exhausted, not retriable, closed): its JSON, one
	// entry a line. Writes are serialised by the sink. It is called from
	// the logging call (for entries rejected by Write) or from the sink's
	// goroutines. If nil, dropped entries are only counted.
	Fallback io.Writer
}

// Header is a Kafka record header. A nil Value is a null header value.
type Header struct {
	Key   string
	Value []byte
}

// Formatter turns an entry into the bytes of its Kafka record value.
type Formatter interface {
	// Format appends the record value for e to dst and returns the result.
	// It runs on the sink's batching goroutine; e is valid only during the
	// call. An error drops the entry alone (counted as DroppedNotRetriable).
	Format(dst []byte, e Entry) ([]byte, error)
}

// FormatterFunc adapts a function to a [Formatter].
type FormatterFunc func(dst []byte, e Entry) ([]byte, error)

// Format calls f(dst, e).
func (f FormatterFunc) Format(dst []byte, e Entry) ([]byte, error) { return f(dst, e) }

// OverflowPolicy says what Write does when the queue is full.
type OverflowPolicy int

const (
	// DropNewest drops the entry being written; Write returns ErrQueueFull
	// at once. It is the default, as Serilog's queue limit.
	DropNewest OverflowPolicy = iota
	// DropOldest accepts the new entry and drops the oldest held entries
	// that are not in flight to make room. The batcher does the dropping
	// right after Write returns, so the queue may hold up to 1000 entries
	// over QueueLimit for a moment. QueueByteLimit, the memory bound, is
	// never exceeded: short of memory, the oldest entries still queued go
	// at once, or the new one if there is none.
	DropOldest
	// Block makes Write wait for room for up to BlockTimeout, then drop the
	// new entry. Use it only where a log call may stall.
	Block
)

func (p OverflowPolicy) String() string {
	switch p {
	case DropNewest:
		return "drop_newest"
	case DropOldest:
		return "drop_oldest"
	case Block:
		return "block"
	}
	return "OverflowPolicy(" + strconv.Itoa(int(p)) + ")"
}

// SecurityProtocol is the protocol used to talk to the brokers, as Kafka's
// security.protocol. [ParseSecurityProtocol] also accepts Serilog's and
// Confluent's spellings (SaslSsl, sasl_ssl, …).
type SecurityProtocol string

// The security protocols.
const (
	Plaintext     SecurityProtocol = "PLAINTEXT"
	SSL           SecurityProtocol = "SSL"
	SASLPlaintext SecurityProtocol = "SASL_PLAINTEXT"
	SASLSSL       SecurityProtocol = "SASL_SSL"
)

// ParseSecurityProtocol returns the protocol named by s, ignoring case and
// underscores: "SASL_SSL", "SaslSsl" and "sasl_ssl" are all SASLSSL.
func ParseSecurityProtocol(s string) (SecurityProtocol, error) {
	switch normalize(s) {
	case "PLAINTEXT":
		return Plaintext, nil
	case "SSL":
		return SSL, nil
	case "SASLPLAINTEXT":
		return SASLPlaintext, nil
	case "SASLSSL":
		return SASLSSL, nil
	}
	return "", fmt.Errorf("unknown security protocol %q (want Plaintext, SSL, SASL_PLAINTEXT or SASL_SSL)", s)
}

func (p SecurityProtocol) usesTLS() bool  { return p == SSL || p == SASLSSL }
func (p SecurityProtocol) usesSASL() bool { return p == SASLPlaintext || p == SASLSSL }

// SASLMechanism is a SASL mechanism, as Kafka's sasl.mechanism.
type SASLMechanism string

// The SASL mechanisms.
const (
	Plain       SASLMechanism = "PLAIN"
	ScramSHA256 SASLMechanism = "SCRAM-SHA-256"
	ScramSHA512 SASLMechanism = "SCRAM-SHA-512"
)

// ParseSASLMechanism returns the mechanism named by s, ignoring case,
// dashes and underscores ("ScramSha256", "scram-sha-256", …).
func ParseSASLMechanism(s string) (SASLMechanism, error) {
	switch normalize(s) {
	case "PLAIN":
		return Plain, nil
	case "SCRAMSHA256":
		return ScramSHA256, nil
	case "SCRAMSHA512":
		return ScramSHA512, nil
	}
	return "", fmt.Errorf("unknown SASL mechanism %q (want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", s)
}

// Compression is a record batch codec.
type Compression string

// The codecs.
const (
	CompressionNone   Compression = "none"
	CompressionGzip   Compression = "gzip"
	CompressionSnappy Compression = "snappy"
	CompressionLz4    Compression = "lz4"
	CompressionZstd   Compression = "zstd"
)

// ParseCompression returns the codec named by s, ignoring case.
func ParseCompression(s string) (Compression, error) {
	switch c := Compression(strings.ToLower(s)); c {
	case CompressionNone, CompressionGzip, CompressionSnappy, CompressionLz4, CompressionZstd:
		return c, nil
	case "":
		return CompressionNone, nil
	}
	return "", fmt.Errorf("unknown compression %q (want none, gzip, snappy, lz4 or zstd)", s)
}

// Acks is how many replicas must acknowledge a produce request.
type Acks int8

const (
	// AcksAll waits for all in-sync replicas. The default.
	AcksAll Acks = iota
	// AcksLeader waits for the partition leader only.
	AcksLeader
	// AcksNone does not wait at all: a record the broker rejects is lost
	// without a trace, and delivery cannot be counted. Avoid it for logs.
	AcksNone
)

func (a Acks) String() string {
	switch a {
	case AcksAll:
		return "all"
	case AcksLeader:
		return "leader"
	case AcksNone:
		return "none"
	}
	return "Acks(" + strconv.Itoa(int(a)) + ")"
}

// ParseAcks returns the acks named by s: "all" or "-1", "leader" or "1",
// "none" or "0".
func ParseAcks(s string) (Acks, error) {
	switch strings.ToLower(s) {
	case "all", "-1", "":
		return AcksAll, nil
	case "leader", "one", "1":
		return AcksLeader, nil
	case "none", "0":
		return AcksNone, nil
	}
	return 0, fmt.Errorf("unknown acks %q (want all, leader or none)", s)
}

func normalize(s string) string {
	s = strings.ToUpper(s)
	return strings.NewReplacer("_", "", "-", "").Replace(s)
}

// String describes the configuration as the sink applies it (defaults
// filled in), with the password redacted.
func (c Config) String() string {
	c = c.withDefaults()
	pw := ""
	if c.SASLPassword != "" {
		pw = "[REDACTED]"
	}
	return fmt.Sprintf("core.Config{Brokers:%q Topic:%q BatchSizeLimit:%d Period:%v QueueLimit:%d "+
		"OverflowPolicy:%v Compression:%q RequiredAcks:%v RetryTimeLimit:%v SecurityProtocol:%q "+
		"SASLMechanism:%q SASLUsername:%q SASLPassword:%q SSLCALocation:%q}",
		c.Brokers, c.Topic, c.BatchSizeLimit, c.Period, c.QueueLimit, c.OverflowPolicy,
		c.Compression, c.RequiredAcks, c.RetryTimeLimit, c.SecurityProtocol, c.SASLMechanism,
		c.SASLUsername, pw, c.SSLCALocation)
}

// GoString is String, so that %#v does not print the password either.
func (c Config) GoString() string { return c.String() }

// withDefaults returns c with every zero field set to its default. It does
// not validate.
func (c Config) withDefaults() Config {
	if len(c.Brokers) == 0 {
		c.Brokers = []string{"localhost:9092"}
	}
	if c.Topic == "" {
		c.Topic = "logs"
	}
	setDefault(&c.BatchSizeLimit, 50)
	setDefault(&c.Period, 5*time.Second)
	setDefault(&c.QueueLimit, 100000)
	setDefault(&c.QueueByteLimit, 64<<20)
	setDefault(&c.BlockTimeout, time.Second)
	if c.ShedLevel == NoLevel {
		c.ShedLevel = WarnLevel
	}
	if c.ShedThreshold == 0 {
		c.ShedThreshold = 0.8
		if c.OverflowPolicy == Block {
			c.ShedThreshold = 1
		}
	}
	setDefault(&c.MaxEntryBytes, 1000000)
	setDefault(&c.MaxBatchBytes, 1000000)
	setDefault(&c.MaxInFlight, 5)
	setDefault(&c.RetryTimeLimit, 10*time.Minute)
	setDefault(&c.MinBackoff, 100*time.Millisecond)
	setDefault(&c.MaxBackoff, 10*time.Second)
	setDefault(&c.WriteTimeout, 10*time.Second)
	setDefault(&c.SyncTimeout, 5*time.Second)
	setDefault(&c.DialTimeout, 5*time.Second)
	if c.ClientID == "" {
		c.ClientID = "kafkasink"
	}
	if c.Compression == "" {
		c.Compression = CompressionNone
	}
	if c.SecurityProtocol == "" {
		c.SecurityProtocol = Plaintext
		if c.TLS != nil {
			c.SecurityProtocol = SSL
		}
	}
	if c.SASLMechanism == "" {
		c.SASLMechanism = Plain
	}
	return c
}

func setDefault[T int | time.Duration](p *T, v T) {
	if *p == 0 {
		*p = v
	}
}

// Validate reports the first invalid field of c as a [*ConfigError]. It
// reads SSLCALocation but never touches the network. New calls it.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

// resolved is a validated Config with defaults applied and the TLS
// configuration built.
type resolved struct {
	Config
	tls *tls.Config // nil without TLS
}

func (c Config) resolve() (*resolved, error) {
	bad := func(field, format string, args ...any) (*resolved, error) {
		return nil, &ConfigError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	// Check negatives before defaults, which only replace zeros.
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"BatchSizeLimit", int64(c.BatchSizeLimit)},
		{"Period", int64(c.Period)},
		{"QueueLimit", int64(c.QueueLimit)},
		{"QueueByteLimit", int64(c.QueueByteLimit)},
		{"BlockTimeout", int64(c.BlockTimeout)},
		{"MaxEntryBytes", int64(c.MaxEntryBytes)},
		{"MaxBatchBytes", int64(c.MaxBatchBytes)},
		{"MaxInFlight", int64(c.MaxInFlight)},
		{"RetryTimeLimit", int64(c.RetryTimeLimit)},
		{"MinBackoff", int64(c.MinBackoff)},
		{"MaxBackoff", int64(c.MaxBackoff)},
		{"WriteTimeout", int64(c.WriteTimeout)},
		{"SyncTimeout", int64(c.SyncTimeout)},
		{"DialTimeout", int64(c.DialTimeout)},
	} {
		if f.v < 0 {
			return bad(f.name, "must not be negative (zero means the default), got %d", f.v)
		}
	}
	c = c.withDefaults()
	for i, b := range c.Brokers {
		field := "Brokers[" + strconv.Itoa(i) + "]"
		host, port, err := net.SplitHostPort(strings.TrimSpace(b))
		if err != nil {
			return bad(field, "%q is not host:port", b)
		}
		if host == "" {
			return bad(field, "%q has no host", b)
		}
		if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
			return bad(field, "%q has no valid port", b)
		}
	}
	if err := checkTopicName(c.Topic); err != nil {
		return bad("Topic", "%v", err)
	}
	if !(c.ShedThreshold > 0) { // also NaN
		return bad("ShedThreshold", "must be positive (1 turns shedding off), got %v", c.ShedThreshold)
	}
	if c.ShedLevel < NoLevel || c.ShedLevel > FatalLevel {
		return bad("ShedLevel", "unknown level %d", int(c.ShedLevel))
	}
	if c.MaxBackoff < c.MinBackoff {
		return bad("MaxBackoff", "%v is less than MinBackoff %v", c.MaxBackoff, c.MinBackoff)
	}
	if c.MaxEntryBytes > c.MaxBatchBytes {
		return bad("MaxEntryBytes", "%d is more than MaxBatchBytes %d: such an entry could never be sent", c.MaxEntryBytes, c.MaxBatchBytes)
	}
	if c.MaxEntryBytes > c.QueueByteLimit {
		return bad("MaxEntryBytes", "%d is more than QueueByteLimit %d", c.MaxEntryBytes, c.QueueByteLimit)
	}
	switch c.OverflowPolicy {
	case DropNewest, DropOldest, Block:
	default:
		return bad("OverflowPolicy", "unknown policy %d", int(c.OverflowPolicy))
	}
	switch c.RequiredAcks {
	case AcksAll, AcksLeader, AcksNone:
	default:
		return bad("RequiredAcks", "unknown value %d", int(c.RequiredAcks))
	}
	if _, err := ParseCompression(string(c.Compression)); err != nil {
		return bad("Compression", "%v", err)
	}
	for i, h := range c.Headers {
		if h.Key == "" {
			return bad("Headers["+strconv.Itoa(i)+"]", "empty key")
		}
	}
	switch c.SecurityProtocol {
	case Plaintext, SSL, SASLPlaintext, SASLSSL:
	default:
		return bad("SecurityProtocol", "unknown protocol %q (want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)", string(c.SecurityProtocol))
	}
	if c.SecurityProtocol.usesSASL() {
		switch c.SASLMechanism {
		case Plain, ScramSHA256, ScramSHA512:
		default:
			return bad("SASLMechanism", "unknown mechanism %q (want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", string(c.SASLMechanism))
		}
		if c.SASLUsername == "" {
			return bad("SASLUsername", "required with %s", c.SecurityProtocol)
		}
		if c.SASLPassword == "" {
			return bad("SASLPassword", "required with %s", c.SecurityProtocol)
		}
	} else if c.SASLUsername != "" || c.SASLPassword != "" {
		return bad("SecurityProtocol", "%s does not use SASL, but SASLUsername or SASLPassword is set (want SASL_PLAINTEXT or SASL_SSL)", c.SecurityProtocol)
	}
	r := &resolved{Config: c}
	if !c.SecurityProtocol.usesTLS() {
		if c.TLS != nil {
			return bad("TLS", "set, but SecurityProtocol %s does not use TLS", c.SecurityProtocol)
		}
		if c.SSLCALocation != "" {
			return bad("SSLCALocation", "set, but SecurityProtocol %s does not use TLS", c.SecurityProtocol)
		}
		return r, nil
	}
	if c.TLS != nil {
		r.tls = c.TLS.Clone()
	} else {
		r.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if c.SSLCALocation != "" {
		pem, err := os.ReadFile(c.SSLCALocation)
		if err != nil {
			return bad("SSLCALocation", "cannot read CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return bad("SSLCALocation", "%q holds no PEM certificate", c.SSLCALocation)
		}
		r.tls.RootCAs = pool
	}
	return r, nil
}

// checkTopicName applies Kafka's rules for topic names.
func checkTopicName(t string) error {
	switch {
	case t == "":
		return fmt.Errorf("empty topic name")
	case t == "." || t == "..":
		return fmt.Errorf("topic name %q is not allowed", t)
	case len(t) > 249:
		return fmt.Errorf("topic name is %d characters long, more than 249", len(t))
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("topic name %q has a character other than ASCII letters, digits, '.', '_' and '-'", t)
		}
	}
	return nil
}
