//go:build unix

package core

import "syscall"

// cpuTime returns the user and system CPU time the process has used, in
// all its threads, in nanoseconds. On a loaded machine it is a steadier
// figure per op than wall time: time the process waits for a CPU is not
// in it.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
