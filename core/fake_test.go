package core

import (
	"context"
	"errors"
	"sync"
)

// fakeTransport is an in-memory transport for unit tests of the batcher.
// Every produce call is recorded; fail, if set, decides its outcome.
type fakeTransport struct {
	mu     sync.Mutex
	nparts int
	calls  []fakeCall
	// fail is called for each produce request before it is recorded as
	// delivered; a non-nil error fails the whole request.
	fail func(c fakeCall) (map[int]error, error)
	// block, if set, is received from before each produce answers (or the
	// request's context ends).
	block chan struct{}
	// metaErr, if set, decides the metadata answer for a topic.
	metaErr   func(topic string) error
	refreshes int
	closed    bool
	// quiet keeps calls out of the record, for allocation tests.
	quiet bool
}

type fakeCall struct {
	Topic     string
	Partition int32
	Values    []string
	Keys      []string
	Headers   [][]Header
	OK        bool
}

func newFake(partitions int) *fakeTransport { return &fakeTransport{nparts: partitions} }

func (f *fakeTransport) partitions(ctx context.Context, topic string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.metaErr != nil {
		if err := f.metaErr(topic); err != nil {
			return 0, err
		}
	}
	return f.nparts, nil
}

func (f *fakeTransport) produce(ctx context.Context, topic string, partition int32, recs []record) (map[int]error, error) {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.quiet {
		return nil, nil
	}
	c := fakeCall{Topic: topic, Partition: partition}
	for _, r := range recs {
		c.Values = append(c.Values, string(r.value))
		c.Keys = append(c.Keys, string(r.key)) // "" for no key
		c.Headers = append(c.Headers, r.headers)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var recErrs map[int]error
	var err error
	if f.fail != nil {
		recErrs, err = f.fail(c)
	}
	c.OK = err == nil && len(recErrs) == 0
	f.calls = append(f.calls, c)
	return recErrs, err
}

func (f *fakeTransport) refresh(ctx context.Context, reconnect bool) {
	f.mu.Lock()
	f.refreshes++
	f.mu.Unlock()
}

func (f *fakeTransport) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
}

// snapshot returns the calls so far.
func (f *fakeTransport) snapshot() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeCall(nil), f.calls...)
}

// delivered returns the values of the successful calls, in call order.
func (f *fakeTransport) delivered() []string {
	var out []string
	for _, c := range f.snapshot() {
		if c.OK {
			out = append(out, c.Values...)
		}
	}
	return out
}

// newTestSink starts a sink over a fake transport; cfg is validated as New
// would.
func newTestSink(t interface {
	Helper()
	Fatal(...any)
	Cleanup(func())
}, cfg Config, f *fakeTransport) *Sink {
	t.Helper()
	r, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	return newSink(r, f)
}

// newFakeWithoutMetadata returns a fake whose metadata requests fail until
// release is called: the batcher then holds every entry it takes, waiting
// for the topic, and none is in flight.
func newFakeWithoutMetadata(partitions int) (f *fakeTransport, release func()) {
	f = newFake(partitions)
	var released bool
	f.metaErr = func(string) error {
		if released {
			return nil
		}
		return errors.New("no metadata yet")
	}
	return f, func() {
		f.mu.Lock()
		released = true
		f.mu.Unlock()
	}
}
