//go:build !linux

package bench_test

func processCPU() int64 { return 0 }

func threadCPU() func() int64 { return func() int64 { return 0 } }
