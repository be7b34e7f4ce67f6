package core

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go/sasl"
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
	// never while the sink holds a lock. The batcher waits for it, so it
	// should be fast: a slow decider slows delivery (the queue's limits and
	// OverflowPolicy protect the log calls), and Close gives up on one that
	// blocks at its deadline. A panic costs that entry alone, dropped and
	// reported as a [*FormatError] naming the decider. It may call Stats;
	// an entry it logs into this sink is one more entry to route. The Entry
	// is valid only during the call. If nil, every entry goes to Topic.
	// Each topic it names keeps a little state (its partitions, a line of
	// Stats.Topics) for the sink's life, as a Kafka producer's metadata
	// does: return names from a bounded set, not made from log content. An
	// entry given a name Kafka refuses ("." or "..", longer than 249
	// bytes, a character other than ASCII letters, digits, '.', '_' and
	// '-') is dropped as not retriable, and keeps no state.
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
	// batching goroutine, like TopicDecider and under the same rules; an
	// error or a panic drops that entry alone, counted as
	// Dropped.NotRetriable. If nil, the logger's JSON goes to Kafka
	// unchanged (without its trailing newline). [SerilogJSON] and [CLEF]
	// write Serilog's shapes; [ParseFormatter] names them.
	Formatter Formatter

	// BatchSizeLimit is the most entries in one batch: a batch is sent as
	// soon as this many entries are queued, without waiting for Period. A
	// smaller batch goes out at once too when the queue is half-way to
	// QueueLimit, QueueByteLimit or the shedding point. It must be below
	// QueueLimit and, with shedding on, at most the shedding point
	// (ShedThreshold of QueueLimit): a batch could not fill before the
	// queue does. If zero, 50, or half the shedding point (or QueueLimit)
	// if that is less.
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
	// decides. At least 2. If zero, 100000.
	QueueLimit int

	// QueueByteLimit bounds the memory of the entries held, as QueueLimit
	// bounds their number: the copies Write makes of them, and the values
	// a Formatter, KeyDecider or HeaderDecider makes for them, which live
	// as long as their entry (during an outage, every held entry has one).
	// Both are counted by the chunk (QueueByteLimit/16, 4 KiB to 128 KiB)
	// in Stats.QueueBytes. With such callbacks, Writes leave one chunk of
	// it to the formatted values, and the batcher formats an entry only
	// when its value has room: entries wait in the queue until it has.
	// Past the limit go only a formatted value larger than a quarter of a
	// chunk (one at a time: nothing more is formatted until memory is back
	// under the limit) and, in durable mode, the values of the batch
	// being routed, and the entries read back from the spool for routing
	// (at most 4×BatchSizeLimit×MaxInFlight of them). The sink's other
	// memory (about 256 bytes per held entry for its bookkeeping, the
	// requests in flight, the Fallback's buffer) is not counted. If zero,
	// 64 MiB.
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

	// SpoolDir turns on durable mode: a directory where the sink keeps
	// every accepted entry on disk until Kafka has acknowledged it, so
	// that an outage longer than memory, a crash or a redeploy loses
	// nothing (see the package documentation, "Durable mode"). The sink's
	// own goroutine writes the entries there, every SpoolInterval; Write
	// still does no disk I/O. Entries beyond QueueByteLimit during an
	// outage wait on disk only, and are read back in order when Kafka
	// returns; the entries a previous process left there are delivered
	// first. New creates the directory if need be, and fails with a
	// [*ConfigError] naming SpoolDir if it cannot write it, or if another
	// sink (of this process or another) has it open ([ErrSpoolLocked]).
	// It must be on a local file system. If empty, entries are held in
	// memory only.
	SpoolDir string

	// SpoolByteLimit bounds the bytes of the spool's files. When it is
	// reached, new entries are kept in memory only (counted in
	// Stats.Spool.Skipped) until deliveries free room, and OverflowPolicy
	// applies once memory is full too. At least 1 MiB and twice
	// MaxEntryBytes. Only with SpoolDir. If zero, 1 GiB.
	SpoolByteLimit int64

	// SpoolInterval is how often the sink writes the entries accepted
	// since the last time to the spool, in one write: the window a kill -9
	// can lose (the entries accepted in the last SpoolInterval, not yet on
	// disk; plus, when the CPU or the disk cannot keep up with the log
	// calls, or a Formatter or decider holds up the batching goroutine,
	// those the writer has not reached yet, which Stats.Spool.Unwritten
	// counts). A write that takes longer is followed at once by the next.
	// Only with SpoolDir. If zero, 10ms.
	SpoolInterval time.Duration

	// SpoolSync is how often the spool's files are made durable with
	// fsync, against power loss or a kernel crash (a process crash needs
	// no fsync: written data is in the kernel's page cache). A positive
	// duration syncs on that interval, from a goroutine of its own, so
	// that a power cut loses at most the entries written since the last
	// sync; [SpoolSyncEveryWrite] (any negative value) syncs the entries
	// after every write, before they are sent, at the cost of an fsync per
	// SpoolInterval on the batching goroutine. Only with SpoolDir. If
	// zero, 1s.
	SpoolSync time.Duration

	// MaxEntryBytes is the largest entry accepted: its JSON, key and
	// headers, and again its record as the Formatter, KeyDecider and
	// HeaderDecider make it (Config.Headers aside). Larger entries are
	// rejected alone: by Write with ErrTooLarge, or dropped by the batcher,
	// counted as Dropped.TooLarge.
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
	// the queue, to within RetryTimeLimit/4096 (at least 10ms) or one
	// Period, whichever is longer. If zero, 10 minutes (as Serilog's
	// RetryTimeLimit); with SpoolDir, no limit: entries wait on disk until
	// they are delivered (an explicit RetryTimeLimit still applies, counted
	// for replayed entries from New).
	RetryTimeLimit time.Duration

	// MinBackoff and MaxBackoff bound the wait between retries of a
	// partition: it starts at MinBackoff and doubles (with jitter) up to
	// MaxBackoff. If zero, 100ms and 10s.
	MinBackoff, MaxBackoff time.Duration

	// SyncTimeout bounds the adapters' flushes and closes, which take no
	// context: zapsink's Sync and Close and its flush after DPanic, Panic
	// and Fatal entries, zerologsink's Close (which Fatal calls) and its
	// flush after Panic entries, and the like in every adapter given this
	// sink, whether it owns the sink or borrows it. The sink itself does
	// not use it: [Sink.Flush] and [Sink.Close] take a context. Adapters
	// read it with [Sink.Config]. If zero, 5s.
	SyncTimeout time.Duration

	// WriteTimeout bounds one produce request. If zero, 10s.
	WriteTimeout time.Duration

	// DialTimeout bounds connecting to a broker, TLS and SASL included.
	// If zero, 5s.
	DialTimeout time.Duration

	// ClientID is the client id sent to the brokers. If empty, "kafkasink".
	ClientID string

	// SecurityProtocol is how the sink talks to the brokers. If empty,
	// Plaintext, or SSL when TLS is set: the one setting implied by
	// another. A setting the protocol would ignore is an error that names
	// both fields: TLS or SSLCALocation with Plaintext or SASLPlaintext,
	// SASL credentials with Plaintext or SSL.
	SecurityProtocol SecurityProtocol

	// SASLMechanism is the SASL mechanism for SASLPlaintext and SASLSSL.
	// If empty, Plain.
	SASLMechanism SASLMechanism

	// SASLUsername and SASLPassword are the SASL credentials; required with
	// the SASL protocols, unless SASL is set. For Azure Event Hubs the
	// username is "$ConnectionString" and the password the connection
	// string. The password never appears in errors, logs or String output.
	SASLUsername, SASLPassword string

	// SASL is the SASL mechanism, for full control: an [OAuthBearer], or any
	// kafka-go [sasl.Mechanism], such as kafka-go's own plain, scram or
	// aws_msk_iam_v2 (AWS MSK IAM) mechanisms. It replaces SASLMechanism,
	// SASLUsername and SASLPassword, which must then be empty, and needs
	// SecurityProtocol SASLSSL or SASLPlaintext. Its Start runs for every
	// new connection, on kafka-go's connecting goroutine. String shows its
	// Name only. If nil, SASLMechanism with SASLUsername and SASLPassword.
	SASL sasl.Mechanism

	// SSLCALocation is a PEM file of CA certificates that the brokers'
	// certificates are checked against, instead of the system's roots.
	// Only with SSL and SASLSSL: unlike TLS, it does not make an empty
	// SecurityProtocol SSL, and with any other protocol it is an error.
	// If empty, the system roots (or TLS's).
	SSLCALocation string

	// TLS is the TLS configuration for SSL and SASLSSL, for full control
	// (client certificates, ServerName, …). Setting it with an empty
	// SecurityProtocol makes the protocol SSL; with Plaintext or
	// SASLPlaintext it is an error naming both fields (for SASL over TLS,
	// set SASLSSL). It is cloned; SSLCALocation, if set, replaces its
	// RootCAs. If nil, a default configuration.
	TLS *tls.Config

	// ErrorHandler receives the sink's background errors: failed produce
	// requests, drops ([*DropError], [*ProduceError], [*FallbackError],
	// [*FormatError], …). It is called from one goroutine of the sink's own,
	// the reporter, never from a logging call and never while the sink
	// holds a lock; calls do not overlap. It may block, panic (the sink
	// recovers and says so on stderr), call Stats, or log into the very
	// logger this sink serves: nothing waits on it but the reporter, and
	// what piles up meanwhile is summed up. Close does not wait past its
	// deadline for a handler that blocks.
	//
	// Drops that come as fast as the application logs (queue full, shed,
	// and Write's other refusals) arrive summed up, at most once a second
	// per reason; other errors one by one, up to a few hundred waiting,
	// beyond which they are counted and summed up in a [*SuppressedError].
	// Write reports nothing once Close has been called, so a handler that
	// logs into this sink cannot feed on itself. A handler that logs errors
	// should still rate-limit, as the default does.
	// If nil, errors are printed to os.Stderr as single lines prefixed
	// "kafkasink:", at most one line a second, the rest summed up.
	ErrorHandler func(error)

	// Fallback receives the entries that are finally dropped (queue full,
	// shed, too large, retries exhausted, not retriable, undelivered at
	// Close): each entry's JSON and a newline, in one Write call. Like
	// ErrorHandler, it is called from the sink's reporter goroutine only,
	// one Write at a time, never from a logging call nor under a lock, and
	// may be slow or block. Entries wait for it in a buffer of an eighth of
	// QueueByteLimit (64 KiB to 4 MiB; an entry larger than that waits
	// alone); what does not fit, what its Write fails for, what Close
	// leaves behind at its deadline, and entries written after Close are
	// counted in Stats.FallbackDropped instead. If nil, dropped entries are
	// only counted.
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
	// call. An error drops the entry alone (counted as Dropped.NotRetriable).
	Format(dst []byte, e Entry) ([]byte, error)
}

// FormatterFunc adapts a function to a [Formatter].
type FormatterFunc func(dst []byte, e Entry) ([]byte, error)

// Format calls f(dst, e).
func (f FormatterFunc) Format(dst []byte, e Entry) ([]byte, error) { return f(dst, e) }

// SpoolSyncEveryWrite, as Config.SpoolSync, makes the spool fsync the
// entries it writes after every write, before they are sent to Kafka.
const SpoolSyncEveryWrite time.Duration = -1

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
	// never exceeded: memory frees by whole chunks, so the batcher keeps
	// room ahead, dropping the oldest entries once the memory held passes
	// 7/8 of QueueByteLimit until it is back under 3/4; a Write that finds
	// no room all the same (the batcher is behind) drops the oldest queued
	// entries if that frees memory at once, else the new entry.
	DropOldest
	// Block makes Write wait for room for up to BlockTimeout, then drop the
	// new entry. Use it only where a log call may stall.
	Block
)

// String returns the policy's name as [ParseOverflowPolicy] reads it:
// "drop_newest", "drop_oldest" or "block".
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

// ParseOverflowPolicy returns the policy named by s, ignoring case, dashes
// and underscores: "drop_newest", "DropNewest", "dropNewest" and
// "drop-newest" are all DropNewest; likewise DropOldest and Block. It
// reads what [OverflowPolicy.String] prints.
func ParseOverflowPolicy(s string) (OverflowPolicy, error) {
	switch normalize(s) {
	case "DROPNEWEST":
		return DropNewest, nil
	case "DROPOLDEST":
		return DropOldest, nil
	case "BLOCK":
		return Block, nil
	}
	return 0, fmt.Errorf("unknown overflow policy %q (want drop_newest, drop_oldest or block)", s)
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

// String returns "all", "leader" or "none", the names [ParseAcks] reads.
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
// filled in), with the password redacted and SASL shown by name only.
func (c Config) String() string {
	c = c.withDefaults()
	pw := ""
	if c.SASLPassword != "" {
		pw = "[REDACTED]"
	}
	return fmt.Sprintf("core.Config{Brokers:%q Topic:%q BatchSizeLimit:%d Period:%v QueueLimit:%d "+
		"OverflowPolicy:%v Compression:%q RequiredAcks:%v RetryTimeLimit:%v SecurityProtocol:%q "+
		"SASLMechanism:%q SASLUsername:%q SASLPassword:%q SASL:%q SSLCALocation:%q SpoolDir:%q}",
		c.Brokers, c.Topic, c.BatchSizeLimit, c.Period, c.QueueLimit, c.OverflowPolicy,
		c.Compression, c.RequiredAcks, c.RetryTimeLimit, c.SecurityProtocol, c.SASLMechanism,
		c.SASLUsername, pw, saslName(c.SASL), c.SSLCALocation, c.SpoolDir)
}

// GoString is String, so that %#v does not print the password either.
func (c Config) GoString() string { return c.String() }

// Format prints String under every verb, so that none prints the
// password: fmt uses String and GoString only for %v, %s, %q, %x and %X,
// and prints the fields one by one under the others (%d, %t, …).
func (c Config) Format(f fmt.State, verb rune) { formatString(f, verb, c.String()) }

// formatString prints s as fmt would print it under verb, or as %s under a
// verb that does not take strings.
func formatString(f fmt.State, verb rune, s string) {
	switch verb {
	case 'v', 's', 'q', 'x', 'X':
		if verb == 'v' && f.Flag('#') {
			io.WriteString(f, s) // GoString is String
			return
		}
		fmt.Fprintf(f, fmt.FormatString(f, verb), s)
	default:
		io.WriteString(f, s)
	}
}

// clone returns c with copies of its slices, so that changing them does
// not change c.
func (c Config) clone() Config {
	c.Brokers = slices.Clone(c.Brokers)
	if c.Headers != nil {
		hs := make([]Header, len(c.Headers))
		for i, h := range c.Headers {
			hs[i] = Header{Key: h.Key, Value: bytes.Clone(h.Value)}
		}
		c.Headers = hs
	}
	return c
}

// withDefaults returns c with every zero field set to its default. It does
// not validate.
func (c Config) withDefaults() Config {
	if len(c.Brokers) == 0 {
		c.Brokers = []string{"localhost:9092"}
	}
	if c.Topic == "" {
		c.Topic = "logs"
	}
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
	if c.BatchSizeLimit == 0 {
		room := c.QueueLimit
		if c.ShedThreshold < 1 {
			room = min(room, shedPoint(c.QueueLimit, c.ShedThreshold))
		}
		c.BatchSizeLimit = max(1, min(50, room/2))
	}
	setDefault(&c.MaxEntryBytes, 1000000)
	setDefault(&c.MaxBatchBytes, 1000000)
	setDefault(&c.MaxInFlight, 5)
	if c.SpoolDir == "" {
		setDefault(&c.RetryTimeLimit, 10*time.Minute)
	} else {
		// With a spool, a zero RetryTimeLimit stays zero: no limit.
		if c.SpoolByteLimit == 0 {
			c.SpoolByteLimit = 1 << 30
		}
		setDefault(&c.SpoolInterval, 10*time.Millisecond)
		setDefault(&c.SpoolSync, time.Second)
	}
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
	if c.SASLMechanism == "" && c.SASL == nil {
		c.SASLMechanism = Plain
	}
	return c
}

func setDefault[T int | time.Duration](p *T, v T) {
	if *p == 0 {
		*p = v
	}
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
