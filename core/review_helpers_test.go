package core

import (
	"context"
	"sync"
)

// holdTransport is the fake transport, except that the produce requests
// for which hold returns true wait until release is closed (or their
// context ends), and say so on entered first.
type holdTransport struct {
	*fakeTransport
	hold    func(topic string, partition int32) bool
	release chan struct{}
	entered chan struct{}
}

func newHoldTransport(f *fakeTransport, hold func(topic string, partition int32) bool) *holdTransport {
	return &holdTransport{fakeTransport: f, hold: hold, release: make(chan struct{}), entered: make(chan struct{}, 64)}
}

func (h *holdTransport) produce(ctx context.Context, topic string, partition int32, bp *[]byte) (map[int]error, error) {
	if h.hold(topic, partition) {
		select {
		case h.entered <- struct{}{}:
		default:
		}
		select {
		case <-h.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return h.fakeTransport.produce(ctx, topic, partition, bp)
}

// onceFlag is true the first time it is asked, false after.
type onceFlag struct {
	mu   sync.Mutex
	used bool
}

func (o *onceFlag) first() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.used {
		return false
	}
	o.used = true
	return true
}
