package core

import (
	"fmt"
	"slices"
	"testing"
)

func TestRecQueueMergeAfterPinned(t *testing.T) {
	for _, tt := range []struct {
		name   string
		have   []uint64 // seqs in the queue
		popped int      // taken from the front first (head moved)
		pinned int
		add    []uint64
		want   []uint64
	}{
		{name: "empty", add: []uint64{3, 4}, want: []uint64{3, 4}},
		{name: "behind", have: []uint64{1, 2}, add: []uint64{3, 4}, want: []uint64{1, 2, 3, 4}},
		{name: "interleaved", have: []uint64{2, 5, 7}, add: []uint64{3, 4, 8}, want: []uint64{2, 3, 4, 5, 7, 8}},
		{name: "pinned stay first", have: []uint64{5, 6, 9}, pinned: 2, add: []uint64{1, 7}, want: []uint64{5, 6, 1, 7, 9}},
		{name: "all pinned", have: []uint64{5, 6}, pinned: 2, add: []uint64{1}, want: []uint64{5, 6, 1}},
		{name: "after popFront", have: []uint64{1, 2, 6, 8}, popped: 2, pinned: 1, add: []uint64{7}, want: []uint64{6, 7, 8}},
		{name: "each keeps its order", have: []uint64{4, 2}, add: []uint64{3, 1}, want: []uint64{3, 1, 4, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var q recQueue
			for _, s := range tt.have {
				q.push(record{seq: s})
			}
			q.popFront(tt.popped)
			q.pinned = tt.pinned
			var add []record
			for _, s := range tt.add {
				add = append(add, record{seq: s})
			}
			q.mergeAfterPinned(add)
			var got []uint64
			for _, r := range q.items() {
				got = append(got, r.seq)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if q.pinned != tt.pinned {
				t.Errorf("pinned %d, want %d", q.pinned, tt.pinned)
			}
		})
	}
}

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
