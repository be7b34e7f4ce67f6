//go:build !linux

package slogsink_test

// cpuTime returns 0: CPU times are read on Linux only.
func cpuTime() int64 { return 0 }

// threadCPU returns a function that returns 0: CPU times are read on Linux
// only.
func threadCPU() func() int64 { return func() int64 { return 0 } }

// processCPU returns 0: CPU times are read on Linux only.
func processCPU(pid int) int64 { return 0 }
