package hostiletest

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/internal/goid"
)

func TestLinesSplitsAndCounts(t *testing.T) {
	for _, tt := range []struct {
		name      string
		writes    []string
		wantN     int
		wantBad   int
		wantCut   bool
		wantCount map[key]int
	}{
		{"entry and newline in one write", []string{`{"hostile_id":1}` + "\n"}, 1, 0, false, map[key]int{{id: 1}: 1}},
		{"entry, then its newline", []string{`{"hostile_id":1}`, "\n"}, 1, 0, false, map[key]int{{id: 1}: 1}},
		{"two entries split anywhere", []string{`{"hostile_id":1}` + "\n" + `{"hostile_`, `cb":2}` + "\n"}, 2, 0, false,
			map[key]int{{id: 1}: 1, {cb: true, id: 2}: 1}},
		{"the same entry twice", []string{`{"hostile_id":3}` + "\n" + `{"hostile_id":3}` + "\n"}, 2, 0, false, map[key]int{{id: 3}: 2}},
		{"a write cut before the newline", []string{`{"hostile_id":1}` + "\n" + `{"hostile_id":4}`}, 2, 0, true,
			map[key]int{{id: 1}: 1, {id: 4}: 1}},
		{"not an entry", []string{"garbage\n" + `{"other":1}` + "\n"}, 2, 2, false, nil},
		{"both ids", []string{`{"hostile_id":1,"hostile_cb":1}` + "\n"}, 1, 1, false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var l lines
			for _, w := range tt.writes {
				l.write([]byte(w))
			}
			n, bad, cut := l.entries()
			if n != tt.wantN || bad != tt.wantBad || cut != tt.wantCut {
				t.Errorf("entries() = %d, %d, %v; want %d, %d, %v", n, bad, cut, tt.wantN, tt.wantBad, tt.wantCut)
			}
			for k, want := range tt.wantCount {
				if got := l.count(k); got != want {
					t.Errorf("count(%+v) = %d, want %d", k, got, want)
				}
			}
		})
	}
}

func TestGoroutines(t *testing.T) {
	var g goroutines
	leave := g.enter()
	me := goid.ID()
	other := make(chan uint64)
	go func() { other <- goid.ID() }()
	them := <-other
	if me == them {
		t.Fatalf("goid.ID() = %d on two goroutines", me)
	}
	if !g.has(me) || g.has(them) {
		t.Errorf("after enter: has(me) = %v, has(other) = %v; want true, false", g.has(me), g.has(them))
	}
	inner := g.enter() // nested: a callback that logs, inside a log call
	inner()
	if !g.has(me) {
		t.Error("after a nested enter and leave: has(me) = false, want true")
	}
	leave()
	if g.has(me) {
		t.Error("after leave: has(me) = true, want false")
	}
}

// fakeTB records what Guard reports; FailNow ends the goroutine as
// testing.T's does.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
	failed bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}
func (f *fakeTB) FailNow() {
	f.mu.Lock()
	f.failed = true
	f.mu.Unlock()
	runtime.Goexit()
}

// guardIn runs Guard on its own goroutine, as a test's goroutine.
func guardIn(tb *fakeTB, d time.Duration, onHang, body func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Guard(tb, d, onHang, body)
	}()
	<-done
}

func TestGuardLetsABodyFinish(t *testing.T) {
	tb := &fakeTB{}
	ran := false
	guardIn(tb, time.Hour, nil, func() { ran = true })
	if !ran || tb.failed || len(tb.errors) > 0 {
		t.Errorf("ran %v, failed %v, errors %q; want the body run and nothing reported", ran, tb.failed, tb.errors)
	}
}

func TestGuardFailsAHangWithStacks(t *testing.T) {
	tb := &fakeTB{}
	release := make(chan struct{})
	finished := make(chan struct{})
	guardIn(tb, 10*time.Millisecond, func() { close(release) }, func() {
		defer close(finished)
		<-release // forever, until Guard's onHang
	})
	<-finished
	if !tb.failed || len(tb.errors) != 1 {
		t.Fatalf("failed %v, errors %q; want one error and FailNow", tb.failed, tb.errors)
	}
	for _, want := range []string{"HANG", "goroutine ", "TestGuardFailsAHangWithStacks"} {
		if !strings.Contains(tb.errors[0], want) {
			t.Errorf("the report lacks %q:\n%s", want, tb.errors[0])
		}
	}
}
