// Package testutil holds the small helpers that the integration module's
// broker-backed tests (integration/core, zapsink, zerologsink, slogsink,
// contrib) share word for word: an ErrorHandler that logs through the
// test ([ErrorLog]), a quiet sink configuration ([Quiet]), an address
// where no broker listens ([Unreachable]), a wait on a condition
// ([WaitFor]), the JSON of a record read back ([Decode], [Messages]), a
// Fallback the test can read ([LockedBuffer]), the allocation check that
// skips under the race detector ([WantAllocs]), and the ownership checks
// of an adapter that borrows a sink ([CloseOwned],
// [CheckBorrowedCloseWaits]).
//
// What differs between the adapters (their constructors, their loggers,
// their flush helpers) stays in each package's helpers_test.go.
package testutil
