package core

// CPUTime is cpuTime, for the benchmarks of package core_test.
var CPUTime = cpuTime
