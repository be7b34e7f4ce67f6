//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package core

import "time"

// processCPU is not measured here: benchmarks report 0 cpu-ns/record.
func processCPU() time.Duration { return 0 }
