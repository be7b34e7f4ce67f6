package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
)

const (
	// commitTimeout bounds one offset commit, the final one included.
	commitTimeout = 10 * time.Second
	// closeTimeout bounds Reader.Close, which leaves the group and can
	// wait on the network.
	closeTimeout = 10 * time.Second
	// minBackoff and maxBackoff bound the pause after a consume error, so
	// that a failing broker never makes the loop spin.
	minBackoff, maxBackoff = 200 * time.Millisecond, 5 * time.Second
)

// consume reads cfg.topic as a member of cfg.group until ctx ends, cfg.max
// entries are printed or the reader is closed, printing the entries to out
// in batches and committing each batch's offsets once it is printed.
// Consume errors are reported to errOut, and the loop goes on.
func consume(ctx context.Context, cfg config, out, errOut io.Writer) error {
	dialer, err := cfg.dialer()
	if err != nil {
		return err
	}
	// Closing the reader cancels partition readers still connecting,
	// which kafka-go reports as errors: noise, once closing.
	var closing atomic.Bool
	start := kafka.FirstOffset
	if cfg.reset == "latest" {
		start = kafka.LastOffset
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:     cfg.brokers,
		GroupID:     cfg.group,
		Topic:       cfg.topic,
		Dialer:      dialer,
		StartOffset: start,
		// A fetch waits at most this long for new records; it also
		// bounds how long Close waits for a fetch in progress.
		MaxWait: time.Second,
		// CommitInterval 0: CommitMessages commits synchronously, so a
		// batch is committed once it is printed, and not before.
		CommitInterval: 0,
		// The seed's consumer logs broker errors as warnings.
		ErrorLogger: kafka.LoggerFunc(func(format string, args ...any) {
			if closing.Load() {
				return
			}
			msg := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
			fmt.Fprintf(errOut, "consumer: warning: kafka: %s\n", msg)
		}),
	})
	fmt.Fprintf(out, "consuming topic %q as group %q from %s (%s, new group starts at %s); Ctrl-C to stop\n",
		cfg.topic, cfg.group, strings.Join(cfg.brokers, ","), cfg.protocol, cfg.reset)

	b := &batcher{r: r, out: out, errOut: errOut, onFetch: cfg.onFetch, output: cfg.output}
	why, loopErr := b.loop(ctx, cfg)
	// Print and commit what is pending, even after Ctrl-C: flush commits
	// with a context of its own.
	b.flush(why)
	closing.Store(true)
	closeReader(r, errOut)
	fmt.Fprintf(out, "consumed %d entries in %d batches from topic %q as group %q; %d commit errors\n",
		b.total, b.batches, cfg.topic, cfg.group, b.commitErrs)
	return loopErr
}

// reader is what the batcher needs of a [kafka.Reader]; tests fake it.
type reader interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
}

// batcher holds the entries read and not yet printed.
type batcher struct {
	r       reader
	out     io.Writer
	errOut  io.Writer
	pending []kafka.Message
	onFetch func(pending int) // called after each message fetched; nil in main
	output  string            // how entries are printed (see render); "" is raw

	total, batches, commitErrs int
}

// loop fetches messages and prints them in batches of cfg.batchSize, or
// every cfg.period, until ctx ends, cfg.max entries were read, or the
// reader is closed (a fatal error). It returns why it stopped, for the
// last batch, which it leaves pending.
func (b *batcher) loop(ctx context.Context, cfg config) (string, error) {
	lastFlush := time.Now()
	backoff := minBackoff
	for cfg.max == 0 || b.total+len(b.pending) < cfg.max {
		// FetchMessage wakes up at the end of the period, so that entries
		// waiting are printed even if nothing else arrives.
		fctx, cancel := context.WithDeadline(ctx, lastFlush.Add(cfg.period))
		m, err := b.r.FetchMessage(fctx)
		expired := fctx.Err() != nil
		cancel()
		switch {
		case err == nil:
			backoff = minBackoff
			b.pending = append(b.pending, m)
			if b.onFetch != nil {
				b.onFetch(len(b.pending))
			}
			if len(b.pending) >= cfg.batchSize {
				b.flush("batch full")
				lastFlush = time.Now()
			}
		case ctx.Err() != nil:
			return "interrupted", nil
		case expired:
			if len(b.pending) > 0 {
				b.flush(cfg.period.String() + " passed")
			}
			lastFlush = time.Now()
		case errors.Is(err, io.EOF):
			return "reader closed", errors.New("the reader was closed")
		default:
			fmt.Fprintf(b.errOut, "consumer: warning: consume error (retrying in %v): %v\n", backoff, err)
			select {
			case <-ctx.Done():
				return "interrupted", nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
	return "-max reached", nil
}

// flush prints the pending entries as one batch, then commits their
// offsets. why says what triggered the batch.
func (b *batcher) flush(why string) {
	if len(b.pending) == 0 {
		return
	}
	b.batches++
	fmt.Fprintf(b.out, "--- batch %d: %d entries (%s)\n", b.batches, len(b.pending), why)
	for _, m := range b.pending {
		fmt.Fprintf(b.out, "%s[%d]@%d %s\n", m.Topic, m.Partition, m.Offset, render(b.output, m.Value))
	}
	b.total += len(b.pending)
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	// kafka-go commits the highest offset of each partition among them.
	if err := b.r.CommitMessages(ctx, b.pending...); err != nil {
		// The entries stay uncommitted: the group reads them again after
		// a restart or a rebalance (at-least-once).
		b.commitErrs++
		fmt.Fprintf(b.errOut, "consumer: warning: committing batch %d: %v\n", b.batches, err)
	}
	b.pending = b.pending[:0]
}

// closeReader closes r, leaving the group, but waits at most closeTimeout:
// kafka-go's Close has no deadline of its own.
func closeReader(r *kafka.Reader, errOut io.Writer) {
	done := make(chan struct{})
	go func() {
		if err := r.Close(); err != nil {
			fmt.Fprintf(errOut, "consumer: warning: closing the reader: %v\n", err)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeTimeout):
		fmt.Fprintf(errOut, "consumer: warning: the reader did not close within %v; exiting anyway\n", closeTimeout)
	}
}
