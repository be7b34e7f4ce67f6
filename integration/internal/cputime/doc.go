// Package cputime reads CPU clocks for the benchmarks of the integration
// module: the whole process's ([Process]), one goroutine's OS thread
// ([Thread]) and another process's ([OfPID]). Benchmarks report them
// beside wall time, which other processes on a shared machine disturb
// more.
//
// Every reading is in nanoseconds, user and system time together. Where a
// clock cannot be read, it reads 0: [Process] on systems other than Unix,
// [Thread] and [OfPID] on systems other than Linux.
package cputime
