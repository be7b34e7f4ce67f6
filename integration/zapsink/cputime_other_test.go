//go:build !unix

package zapsink_test

import "time"

// cpuTime returns 0 where the process's CPU time is not available; the
// benchmarks then report no cpu-ns/op.
func cpuTime() time.Duration { return 0 }
