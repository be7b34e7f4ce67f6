package core

import (
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
