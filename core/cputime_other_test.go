//go:build !unix

package core

// cpuTime returns 0 where the process's CPU time is not available; the
// benchmarks then report no cpu-ns/op.
func cpuTime() int64 { return 0 }
