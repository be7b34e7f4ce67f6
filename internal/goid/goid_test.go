package goid

import "testing"

func TestIDTellsGoroutinesApart(t *testing.T) {
	me := ID()
	other := make(chan uint64)
	go func() { other <- ID() }()
	if o := <-other; me == 0 || o == 0 || o == me || ID() != me {
		t.Errorf("ID() = %d here, %d on another goroutine, %d here again; want two distinct non-zero ids", me, o, ID())
	}
}
