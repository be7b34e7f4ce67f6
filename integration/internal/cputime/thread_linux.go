//go:build linux

package cputime

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// rusageThread is Linux's RUSAGE_THREAD, missing from package syscall.
const rusageThread = 1

// Thread locks the calling goroutine to its OS thread and returns a
// function that unlocks it and returns the CPU time the thread used in
// between, in nanoseconds. Call the function on the same goroutine.
func Thread() func() int64 {
	runtime.LockOSThread()
	start := rusage(rusageThread)
	return func() int64 {
		d := rusage(rusageThread) - start
		runtime.UnlockOSThread()
		return d
	}
}

// userHZ is the unit of the CPU times in /proc/<pid>/stat: USER_HZ, 100 on
// every Linux platform Go supports.
const userHZ = 100

// OfPID returns the user and system CPU time the process pid has used, all
// its threads, in nanoseconds (to 10ms), or 0 if it cannot be read.
func OfPID(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count fields after its closing parenthesis. utime and stime are
	// fields 14 and 15 of the line, so 12 and 13 after it.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return (utime + stime) * (1e9 / userHZ)
}
