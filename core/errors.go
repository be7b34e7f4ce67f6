package core

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"syscall"
)

var (
	// ErrClosed is returned by Write, Flush and Close after Close was called.
	ErrClosed = errors.New("kafkasink: sink closed")

	// ErrQueueFull is returned by Write when the queue is at QueueLimit (or
	// QueueByteLimit) and the overflow policy dropped the entry. The drop is
	// counted in [Stats].
	ErrQueueFull = errors.New("kafkasink: queue full, entry dropped")

	// ErrTooLarge is returned by Write for an entry larger than MaxEntryBytes.
	// The entry is dropped alone, counted and written to Config.Fallback.
	ErrTooLarge = errors.New("kafkasink: entry larger than MaxEntryBytes, dropped")

	// ErrCallbackBlocked is matched (with errors.Is) by the error Close
	// returns when its context ended while one of the sink's goroutines was
	// still inside user code: an ErrorHandler or Fallback call, or a
	// TopicDecider, KeyDecider, HeaderDecider or Formatter call. Close does
	// not wait for it; see [AbandonedError].
	ErrCallbackBlocked = errors.New("kafkasink: a callback was still running when Close's context ended")

	// ErrDropped is the Err of an [UndeliveredError] from Flush or Close
	// when entries were dropped (retries exhausted, not retriable, …)
	// rather than still pending.
	ErrDropped = errors.New("kafkasink: entries dropped")

	// ErrLeftInSpool is the Err of the [UndeliveredError] Close returns,
	// in durable mode (Config.SpoolDir), for the entries it could not
	// deliver by its deadline and left on disk: they are not dropped, and
	// the next sink opened on SpoolDir delivers them. A Flush still waiting
	// when Close returns ends with it too.
	ErrLeftInSpool = errors.New("kafkasink: entries left in SpoolDir for the next sink to deliver")

	// ErrSpoolLocked is matched (with errors.Is) by the [*ConfigError] New
	// returns when another sink, of this process or another, has
	// Config.SpoolDir open.
	ErrSpoolLocked = errSpoolLocked
)

// ConfigError reports an invalid [Config] field. New returns it for every
// configuration it refuses; Field names the offending field.
type ConfigError struct {
	Field  string // the Config field, e.g. "Brokers[1]" or "SASLMechanism"
	Reason string // what is wrong with it
	Err    error  // the underlying error, if any (for SpoolDir: the file system's, or ErrSpoolLocked)
}

// Error returns "kafkasink: invalid config: <Field>: <Reason>".
func (e *ConfigError) Error() string {
	return fmt.Sprintf("kafkasink: invalid config: %s: %s", e.Field, e.Reason)
}

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// SpoolError reports, to Config.ErrorHandler, trouble with the spool
// (Config.SpoolDir) while the sink runs, or the damage New found in it.
// Op says what failed: "append" (the entries could not be written: the
// disk or SpoolByteLimit is full, or an I/O error), "sync", "read",
// "ack", "close", or "recover" (New found damaged or missing files; the
// entries lost are counted in Dropped.Corrupt). After a failed append the
// sink keeps new entries in memory only (counted in Stats.Spool.Skipped),
// goes on delivering what is on disk, and tries the disk again a second
// later; failures are reported at most every few seconds, summed up.
type SpoolError struct {
	Op         string
	MemoryOnly int // entries kept in memory only since the last report (Op "append")
	Err        error
}

// Error says what failed, and how many entries it kept in memory only.
func (e *SpoolError) Error() string {
	msg := "kafkasink: spool " + e.Op
	if e.MemoryOnly > 0 {
		msg += fmt.Sprintf(" (%d entries kept in memory only)", e.MemoryOnly)
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns Err, the cause.
func (e *SpoolError) Unwrap() error { return e.Err }

// UndeliveredError is returned by Flush and Close when entries accepted
// before the call could not be delivered in time. Count is how many entries
// were still undelivered when the call returned; for Close, those entries
// are dropped, counted as Dropped.Closed and written to Config.Fallback.
type UndeliveredError struct {
	Count int   // entries not delivered
	Err   error // why: usually the context's error; nil if unknown
}

// Error says how many entries were not delivered, and why.
func (e *UndeliveredError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("kafkasink: %d entries not delivered", e.Count)
	}
	return fmt.Sprintf("kafkasink: %d entries not delivered: %v", e.Count, e.Err)
}

// Unwrap returns Err, for errors.Is(err, context.DeadlineExceeded) and
// errors.Is(err, ErrDropped).
func (e *UndeliveredError) Unwrap() error { return e.Err }

// ErrCloseInCallback is what Close returns when it is called from a
// callback (an ErrorHandler, Fallback, decider or Formatter), which runs
// on one of the sink's own goroutines: Close cannot wait for that
// goroutine, so it only starts closing; the sink closes once the callback
// has returned, and later Close calls return the outcome.
var ErrCloseInCallback = errors.New("kafkasink: Close called from a callback: closing once it returns")

// AbandonedError is part of the error Close returns when its context ended
// while a callback was still running or had not caught up
// (errors.Is(err, ErrCallbackBlocked)): an ErrorHandler or a Fallback too
// slow for what was dropped, or a callback that does not return. What was
// not done by then is dropped and counted: entries not written to the
// Fallback (in Stats.FallbackDropped), and entries the batcher still held
// (in Stats.Dropped.Closed, and in the UndeliveredError next to this one).
// If LeftRunning, Close returned without the goroutine in the callback: it
// keeps running until the callback returns, then stops at once.
type AbandonedError struct {
	Callback        string // the callback running: "ErrorHandler", "Fallback", "TopicDecider", …
	FallbackEntries int    // entries that were waiting for the Fallback
	Held            int    // entries the batcher held, if it was the one in the callback
	LeftRunning     bool   // the callback was still running when Close returned
}

// Error says which callback held Close up, and what it left undone.
func (e *AbandonedError) Error() string {
	msg := "kafkasink: Close's context ended while " + e.Callback + " was still running"
	if e.LeftRunning {
		msg += "; Close left it behind"
	}
	if e.Held > 0 {
		msg += fmt.Sprintf(", with %d undelivered entries that are dropped when it returns", e.Held)
	}
	if e.FallbackEntries > 0 {
		msg += fmt.Sprintf(", with %d entries not written to the Fallback", e.FallbackEntries)
	}
	return msg
}

// Is reports whether target is ErrCallbackBlocked.
func (e *AbandonedError) Is(target error) bool { return target == ErrCallbackBlocked }

// explain adds what a connection cut usually means when no request has
// succeeded yet: brokers that refuse a SASL login or speak another
// security protocol just close the connection, and kafka-go passes on a
// bare EOF or reset.
func (b *batcher) explain(err error) error {
	if b.connected || !connectionCut(err) {
		return err
	}
	c := b.cfg
	hint := "the broker closed the connection before any request succeeded: check that security protocol " +
		string(c.SecurityProtocol) + " is what the brokers' listener speaks (a TLS listener needs SSL or SASL_SSL, a plaintext one PLAINTEXT or SASL_PLAINTEXT)"
	if c.SecurityProtocol.usesSASL() {
		hint += saslHint(c.Config)
	}
	return &hintError{err: err, hint: hint}
}

// connectionCut reports whether err is a connection closed or reset by the
// peer, or a TLS handshake that met something other than TLS.
func connectionCut(err error) bool {
	var rh tls.RecordHeaderError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &rh)
}

// hintError is an error with an explanation of its likely cause.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + " (" + e.hint + ")" }
func (e *hintError) Unwrap() error { return e.err }
