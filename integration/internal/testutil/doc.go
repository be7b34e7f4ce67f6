// Package testutil holds the small helpers that the integration module's
// broker-backed tests (integration/core, zapsink, zerologsink, slogsink,
// contrib) share word for word: an ErrorHandler that logs through the
// test, a quiet sink configuration, an address where no broker listens,
// a wait on a condition, the JSON of a record read back, and the
// allocation check that skips under the race detector.
//
// What differs between the adapters (their constructors, their loggers,
// their flush helpers) stays in each package's helpers_test.go.
package testutil
