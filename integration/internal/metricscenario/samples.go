package metricscenario

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

// Samples maps each value an exporter shows, as name{key="value",…} with
// the keys sorted (see [Key]), to the value.
type Samples map[string]float64

// Take removes key from s and returns its value.
func (s Samples) Take(key string) float64 {
	v := s[key]
	delete(s, key)
	return v
}

// Key returns the name of a sample with the given labels (or attributes),
// pairs of key and value: name{key="value",…}, the pairs sorted.
func Key(name string, labels ...string) string {
	var pairs []string
	for i := 0; i < len(labels); i += 2 {
		pairs = append(pairs, fmt.Sprintf("%s=%q", labels[i], labels[i+1]))
	}
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// Compare checks the samples an exporter showed against those Stats call
// for, both ways: none missing, none extra, each value equal (to a
// relative 1e-9). when names the moment in the failures.
func Compare(t *testing.T, when string, got, want Samples) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: %s missing, want %v", when, k, want[k])
		case math.Abs(g-want[k]) > 1e-9*math.Abs(want[k]):
			t.Errorf("%s: %s: got %v, want %v", when, k, g, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s = %v exported, not in Stats", when, k, got[k])
		}
	}
}
