package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// formatEntries are entries as zap, zerolog and slog write them, for the
// allocation tests.
func formatEntries() []Entry {
	many := []byte(`{"level":"info","time":"2026-12-01T07:07:26Z"`)
	for i := range 300 { // more members than the pooled slices start with
		many = fmt.Appendf(many, `,"f%d":%d`, i, i)
	}
	many = append(many, `,"message":"many fields"}`...)
	at := time.Date(2026, 12, 1, 7, 7, 26, 56123456, time.UTC)
	return []Entry{
		{Time: at, Level: InfoLevel, LoggerName: "http", Message: "request served",
			JSON: []byte(`{"level":"info","ts":1796108846.0561235,"logger":"http","caller":"app/handler.go:42","msg":"request served","method":"GET","path":"/api/v1/orders/100042","status":200,"duration_ms":12.5,"request_id":"9e3779b97f4a7c15"}` + "\n")},
		{Time: at, Level: ErrorLevel, Message: "load {config} failed",
			JSON: []byte(`{"level":"error","ts":1796108846.0561235,"msg":"load {config} failed","error":"open \"/etc/app.yaml\": permission denied","stacktrace":"app.load\n\t/src/app/load.go:31"}`)},
		{Level: WarnLevel, JSON: []byte(`{"level":"warn","path":"/x","user":{"id":7,"name":"Zoë ✓"},"tags":["a","b"],"time":"2026-12-01T07:07:26+01:00","message":"slow \u007bq\u007d"}` + "\n")},
		{JSON: []byte(`{"time":"2026-12-01T07:07:26.056123456Z","level":"WARN+2","source":{"function":"app.handle","file":"/src/app/api.go","line":88},"msg":"retrying","err":"timeout","req":{"id":7}}`)},
		{Level: InfoLevel, JSON: []byte(`{"level":"info","message":"no time: now"}`)},
		{Level: InfoLevel, JSON: many},
	}
}

// TestFormattersDoNotAllocate pins the formatters at 0 allocations per
// entry once dst has grown, as the batcher reuses it.
func TestFormattersDoNotAllocate(t *testing.T) {
	for _, f := range []Formatter{SerilogJSON{}, CLEF{}} {
		for i, e := range formatEntries() {
			t.Run(fmt.Sprintf("%T/%d", f, i), func(t *testing.T) {
				dst, err := f.Format(nil, e)
				if err != nil {
					t.Fatal(err)
				}
				wantAllocs(t, 0, func() { dst, _ = f.Format(dst[:0], e) })
			})
		}
	}
}

// TestFormattersInSink runs the Serilog formatters in a sink: records
// are Serilog's shape, and an entry a formatter refuses is dropped alone,
// counted and reported with a FormatError naming the field.
func TestFormattersInSink(t *testing.T) {
	for _, tt := range []struct {
		f    Formatter
		want []string
	}{
		{SerilogJSON{}, []string{
			`{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Information","MessageTemplate":"first","RenderedMessage":"first","Properties":{"n":1}}`,
			`{"Timestamp":"2026-12-01T07:07:26.0000000+00:00","Level":"Error","MessageTemplate":"third","RenderedMessage":"third","Properties":{"n":3}}`,
		}},
		{CLEF{}, []string{
			`{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"first","n":1}`,
			`{"@t":"2026-12-01T07:07:26.0000000Z","@mt":"third","@l":"Error","n":3}`,
		}},
	} {
		t.Run(fmt.Sprintf("%T", tt.f), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake(1)
				var errs []error
				s := newTestSink(t, Config{BatchSizeLimit: 100, Period: time.Hour, Formatter: tt.f,
					ErrorHandler: func(err error) { errs = append(errs, err) }}, f)
				s.Write(Entry{Level: InfoLevel, JSON: []byte(`{"level":"info","time":"2026-12-01T07:07:26Z","message":"first","n":1}` + "\n")})
				s.Write(Entry{Level: InfoLevel, JSON: []byte(`{"level":"info","time":"2026-12-01T07:07:26Z","message":"second","n":[1,}`)})
				s.Write(Entry{Level: ErrorLevel, JSON: []byte(`{"level":"error","time":"2026-12-01T07:07:26Z","message":"third","n":3}`)})
				s.Close(context.Background())
				got := f.delivered()
				if !slices.Equal(got, tt.want) {
					t.Errorf("delivered\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
				for _, r := range got {
					if !json.Valid([]byte(r)) {
						t.Errorf("record %s is not valid JSON", r)
					}
				}
				if st := s.Stats(); st.Dropped.NotRetriable != 1 || st.Dropped.Total() != 1 {
					t.Errorf("dropped %+v, want the one bad entry, not retriable", st.Dropped)
				}
				var fe *FormatError
				if len(errs) != 1 || !errors.As(errs[0], &fe) || !strings.Contains(fe.Error(), `field "n": invalid JSON at byte 72: want a value, got '}'`) {
					t.Errorf("errors %v, want one FormatError naming field n", errs)
				}
			})
		})
	}
}
