package core

import (
	"fmt"
	"testing"
)

// TestSegQueuePushFront: records put back at the front come out first, in
// their order, before the others, and at (which counts on every segment
// but the first and the last being full) finds each in its place.
func TestSegQueuePushFront(t *testing.T) {
	for _, tt := range []struct {
		queued, taken, back int // records pushed, then taken from the front, then put back
	}{
		{0, 0, 1},
		{0, 0, segmentSize},
		{0, 0, 2*segmentSize + 3},
		{10, 4, 4},                          // into the first segment's room
		{10, 4, 3},                          // part of it
		{segmentSize + 5, segmentSize, 600}, // whole new segments before a partial one
		{3 * segmentSize, 7, 7 + segmentSize},
	} {
		t.Run(fmt.Sprintf("%d-%d+%d", tt.queued, tt.taken, tt.back), func(t *testing.T) {
			var q segQueue
			// seqs: the put-back ones 1…back, the queued ones after.
			first := uint64(tt.back + 1 - tt.taken)
			for i := range tt.queued {
				q.push(record{seq: first + uint64(i)})
			}
			q.take(nil, tt.taken)
			back := make([]record, tt.back)
			for i := range back {
				back[i].seq = uint64(i + 1)
			}
			q.pushFront(back)
			want := tt.back + tt.queued - tt.taken
			if q.len() != want {
				t.Fatalf("len %d, want %d", q.len(), want)
			}
			for i := range want {
				if got := q.at(i).seq; got != uint64(i+1) {
					t.Fatalf("at(%d).seq = %d, want %d", i, got, i+1)
				}
			}
			got := q.take(nil, want)
			for i := range got {
				if got[i].seq != uint64(i+1) {
					t.Fatalf("taken[%d].seq = %d, want %d", i, got[i].seq, i+1)
				}
			}
			if q.len() != 0 || len(q.segs) != 0 {
				t.Errorf("after taking all: len %d, %d segments, want 0, 0", q.len(), len(q.segs))
			}
		})
	}
}
