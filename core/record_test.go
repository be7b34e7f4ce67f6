package core

import (
	"testing"
	"unsafe"
)

// TestRecordSize pins the size of a record: the queue, the partitions and
// the backlog hold one per entry (QueueLimit is 100000 by default), so a
// field added or widened should fill padding, not grow every entry.
func TestRecordSize(t *testing.T) {
	if got, want := unsafe.Sizeof(record{}), uintptr(104); got != want {
		t.Errorf("record is %d bytes, want %d", got, want)
	}
}
