//go:build !linux

package zerologsink_test

// cpuTime returns 0: CPU times are read on Linux only.
func cpuTime() int64 { return 0 }

// threadCPU returns a function that returns 0: CPU times are read on Linux
// only.
func threadCPU() func() int64 { return func() int64 { return 0 } }
