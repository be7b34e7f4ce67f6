package core

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// codecTransport is the fake transport, except that it only records the
// codec (the attributes' low bits) of each record batch it is sent.
type codecTransport struct {
	*fakeTransport
	mu     sync.Mutex
	codecs []uint16
}

func (c *codecTransport) produce(ctx context.Context, topic string, partition int32, bp *[]byte) (map[int]error, error) {
	defer putBuf(bp, *bp)
	h := (*bp)[4:]
	c.mu.Lock()
	c.codecs = append(c.codecs, binary.BigEndian.Uint16(h[offAttributes:])&7)
	c.mu.Unlock()
	return nil, nil
}

// TestCompressionAsSpelled: Validate accepts Compression in any case, as
// ParseCompression reads it ("GZIP", "Zstd": the spellings of Confluent's
// and Serilog's enums), so the batches must be compressed with that codec;
// they went out uncompressed, silently, unless the value was lower case.
func TestCompressionAsSpelled(t *testing.T) {
	for _, c := range []struct {
		spelled Compression
		codec   uint16 // Kafka's attribute bits
	}{
		{"gzip", 1}, {"GZIP", 1}, {"Gzip", 1}, {"Snappy", 2}, {"LZ4", 3}, {"ZSTD", 4}, {"None", 0},
	} {
		t.Run(string(c.spelled), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr := &codecTransport{fakeTransport: newFake(1)}
				s := newTestSink(t, Config{Compression: c.spelled, BatchSizeLimit: 10, Period: time.Millisecond, ErrorHandler: func(error) {}}, tr)
				write(t, s, 0, 10)
				if err := s.Flush(context.Background()); err != nil {
					t.Fatalf("Flush = %v", err)
				}
				if err := s.Close(context.Background()); err != nil {
					t.Fatalf("Close = %v", err)
				}
				if len(tr.codecs) == 0 {
					t.Fatal("no batch sent")
				}
				for _, got := range tr.codecs {
					if got != c.codec {
						t.Errorf("Compression %q: batch codec %d, want %d", c.spelled, got, c.codec)
					}
				}
				if got, want := s.Config().Compression, mustParseCompression(t, string(c.spelled)); got != want {
					t.Errorf("Sink.Config().Compression = %q, want %q", got, want)
				}
			})
		})
	}
}

func mustParseCompression(t *testing.T, s string) Compression {
	c, err := ParseCompression(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
