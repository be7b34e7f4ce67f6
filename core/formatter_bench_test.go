package core_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
)

// benchFormatEntries returns n distinct ~200-byte entries as zap's
// production encoder or zerolog write them, with the metadata their
// adapters give: ids, times and durations vary.
func benchFormatEntries(b *testing.B, logger string, n int) []core.Entry {
	out := make([]core.Entry, n)
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	w := &levelWriter{}
	zl := zerolog.New(w)
	for i := range out {
		at := logTime.Add(time.Duration(i) * 1234567 * time.Nanosecond)
		path := fmt.Sprintf("/api/v1/orders/%d", 100000+i*7)
		id := fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15)
		switch logger {
		case "zap":
			ent := zapcore.Entry{Level: zapcore.InfoLevel, Time: at, LoggerName: "http", Message: "request served",
				Caller: zapcore.EntryCaller{Defined: true, File: "/src/app/handler.go", Line: 42 + i%50}}
			buf, err := enc.EncodeEntry(ent, []zap.Field{zap.String("method", "GET"), zap.String("path", path), zap.Int("status", 200),
				zap.Float64("duration_ms", float64(i%97)+float64(i%1000)/1000), zap.String("request_id", id), zap.String("user", fmt.Sprintf("u-%d", i%5000))})
			if err != nil {
				b.Fatal(err)
			}
			out[i] = core.Entry{Time: at, Level: core.InfoLevel, LoggerName: "http", Message: "request served", JSON: bytes.Clone(buf.Bytes())}
			buf.Free()
		case "zerolog":
			zl.Info().Str("method", "GET").Str("path", path).Int("status", 200).Float64("duration_ms", float64(i%97)+float64(i%1000)/1000).
				Str("request_id", id).Str("user", fmt.Sprintf("u-%d", i%5000)).Time("time", at).Str("caller", "/src/app/worker.go:17").Msg("request served")
			out[i] = core.Entry{Level: core.InfoLevel, JSON: bytes.Clone(w.buf.Bytes())}
		}
	}
	return out
}

// BenchmarkFormatter measures entries formatted per second, per logger
// and formatter, on the batcher's path: one goroutine, dst reused. "copy"
// is the baseline: what the pass-through costs at most (it hands the
// entry's bytes on without even copying them). cpu-ns/op, the process's
// CPU time per entry, is the steadier figure on a loaded machine.
func BenchmarkFormatter(b *testing.B) {
	formatters := []struct {
		name string
		f    core.Formatter
	}{
		{"copy", core.FormatterFunc(func(dst []byte, e core.Entry) ([]byte, error) { return append(dst, e.JSON...), nil })},
		{"serilog", core.SerilogJSON{}},
		{"clef", core.CLEF{}},
	}
	for _, logger := range []string{"zap", "zerolog"} {
		entries := benchFormatEntries(b, logger, 4096)
		size := 0
		for _, e := range entries {
			size += len(e.JSON)
		}
		for _, f := range formatters {
			b.Run(logger+"/"+f.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(size / len(entries)))
				var dst []byte
				var err error
				cpu := core.CPUTime()
				for i := 0; b.Loop(); i++ {
					if dst, err = f.f.Format(dst[:0], entries[i&4095]); err != nil {
						b.Fatal(err)
					}
				}
				if cpu := core.CPUTime() - cpu; cpu > 0 {
					b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}
