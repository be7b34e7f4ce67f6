package testutil

import (
	"encoding/json"
	"testing"

	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// Decode parses a record's value as a JSON object, failing t if it is not
// one.
func Decode(t testing.TB, r kafkatest.Record) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Value, &m); err != nil {
		t.Fatalf("record %v: %v", r, err)
	}
	return m
}

// Messages returns the "msg" field of each record ("" where it has none).
func Messages(t testing.TB, recs []kafkatest.Record) []string {
	t.Helper()
	msgs := make([]string, len(recs))
	for i, r := range recs {
		msgs[i], _ = Decode(t, r)["msg"].(string)
	}
	return msgs
}
