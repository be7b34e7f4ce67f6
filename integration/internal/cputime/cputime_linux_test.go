//go:build linux

package cputime_test

import (
	"os"
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/integration/internal/cputime"
)

// spinUntil burns CPU on the calling goroutine until moved returns true,
// failing t if that takes more than a minute of wall time: the clocks
// tick at 10ms at the coarsest.
func spinUntil(t *testing.T, what string, moved func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	x := 0
	for !moved() {
		for i := range 1 << 16 {
			x += i
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute of spinning, %s has not moved (%d)", what, x)
		}
	}
}

// TestClocksMove checks that each clock reads above 0 and only grows while
// this goroutine burns CPU.
func TestClocksMove(t *testing.T) {
	t.Run("Process", func(t *testing.T) {
		start := cputime.Process()
		spinUntil(t, "Process", func() bool {
			now := cputime.Process()
			if now < start {
				t.Fatalf("Process went back: got %d after %d", now, start)
			}
			return now > start
		})
	})
	t.Run("Thread", func(t *testing.T) {
		stop := cputime.Thread()
		start := cputime.Process()
		spinUntil(t, "Process", func() bool { return cputime.Process()-start >= 10e6 }) // 10ms, most of it on this thread
		if d := stop(); d <= 0 {
			t.Errorf("Thread: got %d ns after 10ms of spinning, want more than 0", d)
		}
	})
	t.Run("OfPID", func(t *testing.T) {
		pid := os.Getpid()
		start := cputime.OfPID(pid)
		spinUntil(t, "OfPID", func() bool {
			now := cputime.OfPID(pid)
			if now < start {
				t.Fatalf("OfPID(%d) went back: got %d after %d", pid, now, start)
			}
			return now > start
		})
	})
}

// TestOfPIDMissing checks that a process that does not exist reads 0.
func TestOfPIDMissing(t *testing.T) {
	const pid = 1 << 30 // above Linux's PID_MAX_LIMIT (4194304)
	if got := cputime.OfPID(pid); got != 0 {
		t.Errorf("OfPID(%d): got %d, want 0", pid, got)
	}
}
