package core

import (
	"fmt"
	"testing"
	"time"
)

// benchJSON returns n distinct ~220-byte entries shaped as zap's
// production encoder writes them, with the metadata zapsink gives.
func benchJSON(n int) []Entry {
	at := time.Date(2026, 12, 1, 7, 7, 26, 56123456, time.UTC)
	out := make([]Entry, n)
	for i := range out {
		t := at.Add(time.Duration(i) * 1234567 * time.Nanosecond)
		out[i] = Entry{Time: t, Level: InfoLevel, LoggerName: "http", Message: "request served", JSON: fmt.Appendf(nil,
			`{"level":"info","ts":%d.%07d,"logger":"http","caller":"app/handler.go:%d","msg":"request served","method":"GET",`+
				`"path":"/api/v1/orders/%d","status":200,"duration_ms":%d.%03d,"request_id":"%016x","user":"u-%d"}`+"\n",
			t.Unix(), t.Nanosecond()/100, 42+i%50, 100000+i*7, i%97, i%1000, uint64(i)*0x9e3779b97f4a7c15, i%5000)}
	}
	return out
}

// BenchmarkReadObject measures the strict reader alone, and the whole
// reading of an event (the reader, then the built-ins taken).
func BenchmarkReadObject(b *testing.B) {
	entries := benchJSON(4096)
	b.Run("members", func(b *testing.B) {
		b.ReportAllocs()
		ms := make([]member, 0, 64)
		var err error
		cpu := cpuTime()
		for i := 0; b.Loop(); i++ {
			if ms, err = readObject(entries[i&4095].JSON, ms[:0]); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("event", func(b *testing.B) {
		b.ReportAllocs()
		var fs Fields
		cpu := cpuTime()
		for i := 0; b.Loop(); i++ {
			var ev serilogEvent
			if err := ev.read(&entries[i&4095], &fs); err != nil {
				b.Fatal(err)
			}
			ev.release()
		}
		reportCPU(b, cpu)
	})
}

// BenchmarkWriteEvent measures the formatters' writing alone, of events
// read beforehand.
func BenchmarkWriteEvent(b *testing.B) {
	entries := benchJSON(4096)
	events := make([]serilogEvent, len(entries))
	var fs Fields
	for i := range entries {
		if err := events[i].read(&entries[i], &fs); err != nil {
			b.Fatal(err)
		}
	}
	for _, w := range []struct {
		name  string
		write func(*serilogEvent, []byte) []byte
	}{{"serilog", (*serilogEvent).appendSerilogJSON}, {"clef", (*serilogEvent).appendCLEF}} {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			var dst []byte
			cpu := cpuTime()
			for i := 0; b.Loop(); i++ {
				dst = w.write(&events[i&4095], dst[:0])
			}
			reportCPU(b, cpu)
		})
	}
}

// reportCPU reports the process's CPU time since start per op, as
// cpu-ns/op, where cpuTime can tell.
func reportCPU(b *testing.B, start int64) {
	if cpu := cpuTime() - start; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	}
}
