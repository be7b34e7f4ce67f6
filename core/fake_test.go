package core

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
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

func (f *fakeTransport) produce(ctx context.Context, topic string, partition int32, bp *[]byte) (map[int]error, error) {
	defer putBuf(bp, *bp)
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
	recs, err := decodeBatch(*bp)
	if err != nil {
		panic("fake transport: the sink sent a record set it cannot read: " + err.Error())
	}
	for _, r := range recs {
		c.Values = append(c.Values, string(r.value))
		c.Keys = append(c.Keys, string(r.key)) // "" for no key
		c.Headers = append(c.Headers, r.headers)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var recErrs map[int]error
	if f.fail != nil {
		recErrs, err = f.fail(c)
	}
	c.OK = err == nil && len(recErrs) == 0
	f.calls = append(f.calls, c)
	return recErrs, err
}

// decoded is a record read back from a record set.
type decoded struct {
	key, value []byte // key nil for none
	headers    []Header
	tsDelta    int64
}

// decodeBatch reads the record set encodeBatch writes (uncompressed), as
// a broker would, checking its framing and its CRC.
func decodeBatch(b []byte) ([]decoded, error) {
	be := binary.BigEndian
	if len(b) < 4+batchHeaderSize || int(be.Uint32(b)) != len(b)-4 {
		return nil, fmt.Errorf("record set size %d does not match %d bytes", be.Uint32(b), len(b)-4)
	}
	h := b[4:]
	if int(be.Uint32(h[offBatchLength:])) != len(h)-12 {
		return nil, fmt.Errorf("batch length field wrong")
	}
	if crc32.Checksum(h[offAttributes:], castagnoli) != be.Uint32(h[offCRC:]) {
		return nil, fmt.Errorf("CRC mismatch")
	}
	if be.Uint16(h[offAttributes:])&7 != 0 {
		return nil, fmt.Errorf("compressed batch: the fake reads uncompressed ones only")
	}
	n := int(be.Uint32(h[offRecordCount:]))
	p := h[batchHeaderSize:]
	varint := func() int64 {
		v, k := binary.Varint(p)
		if k <= 0 {
			panic("bad varint")
		}
		p = p[k:]
		return v
	}
	bytes := func() []byte {
		l := varint()
		if l < 0 {
			return nil
		}
		v := append([]byte{}, p[:l]...)
		p = p[l:]
		return v
	}
	out := make([]decoded, 0, n)
	for i := range n {
		size := varint()
		start := len(p)
		p = p[1:] // attributes
		var d decoded
		d.tsDelta = varint()
		if off := varint(); off != int64(i) {
			return nil, fmt.Errorf("record %d has offset delta %d", i, off)
		}
		d.key = bytes()
		d.value = bytes()
		for range varint() {
			k := bytes()
			d.headers = append(d.headers, Header{Key: string(k), Value: bytes()})
		}
		if int64(start-len(p)) != size {
			return nil, fmt.Errorf("record %d: size %d, read %d", i, size, start-len(p))
		}
		out = append(out, d)
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("%d bytes after the last record", len(p))
	}
	return out, nil
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

// newTestSink starts a sink over a transport, usually the fake one; cfg is
// validated as New would.
func newTestSink(t interface {
	Helper()
	Fatal(...any)
	Cleanup(func())
}, cfg Config, f transport) *Sink {
	t.Helper()
	r, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	s, err := newSink(r, f)
	if err != nil {
		t.Fatal(err)
	}
	return s
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
