//go:build linux

package bench_test

import (
	"runtime"
	"syscall"
)

// processCPU returns the user and system CPU time the process has used, in
// nanoseconds, all threads together.
func processCPU() int64 { return rusage(syscall.RUSAGE_SELF) }

// rusageThread is Linux's RUSAGE_THREAD, missing from package syscall.
const rusageThread = 1

// threadCPU locks the calling goroutine to its OS thread and returns a
// function that unlocks it and returns the CPU time the thread used in
// between, in nanoseconds.
func threadCPU() func() int64 {
	runtime.LockOSThread()
	start := rusage(rusageThread)
	return func() int64 {
		d := rusage(rusageThread) - start
		runtime.UnlockOSThread()
		return d
	}
}

func rusage(who int) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
