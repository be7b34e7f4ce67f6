//go:build unix

package cputime

import "syscall"

// Process returns the user and system CPU time the process has used, all
// its threads together, in nanoseconds.
func Process() int64 { return rusage(syscall.RUSAGE_SELF) }

// rusage returns the user and system CPU time getrusage(2) reports for
// who, in nanoseconds, or 0 if it fails.
func rusage(who int) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
