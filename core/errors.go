package core

import (
	"errors"
	"fmt"
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

	// ErrDropped is the Err of an [UndeliveredError] from Flush or Close
	// when entries were dropped (retries exhausted, not retriable, …)
	// rather than still pending.
	ErrDropped = errors.New("kafkasink: entries dropped")
)

// ConfigError reports an invalid [Config] field. New returns it for every
// configuration it refuses; Field names the offending field.
type ConfigError struct {
	Field  string // the Config field, e.g. "Brokers[1]" or "SASLMechanism"
	Reason string // what is wrong with it
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("kafkasink: invalid config: %s: %s", e.Field, e.Reason)
}

// UndeliveredError is returned by Flush and Close when entries accepted
// before the call could not be delivered in time. Count is how many entries
// were still undelivered when the call returned; for Close, those entries
// are dropped, counted as DroppedClosed and written to Config.Fallback.
type UndeliveredError struct {
	Count int   // entries not delivered
	Err   error // why: usually the context's error; nil if unknown
}

func (e *UndeliveredError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("kafkasink: %d entries not delivered", e.Count)
	}
	return fmt.Sprintf("kafkasink: %d entries not delivered: %v", e.Count, e.Err)
}

func (e *UndeliveredError) Unwrap() error { return e.Err }
