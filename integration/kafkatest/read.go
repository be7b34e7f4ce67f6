package kafkatest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	// settle is how long ReadN keeps watching once n records are there,
	// so that it also returns duplicates and extras.
	settle = 200 * time.Millisecond

	// readTimeout bounds ReadAll, and ReadN after its wait.
	readTimeout = 10 * time.Second

	// pollInterval is how often ReadN looks at the end offsets.
	pollInterval = 20 * time.Millisecond
)

// Record is a record read back from a topic.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte // nil if the record has no key
	Value     []byte
	Headers   []Header // in the order the producer sent them
	Time      time.Time

	// Compression is the codec of the batch the record came in: "none",
	// "gzip", "snappy", "lz4" or "zstd".
	Compression string
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// Header returns the value of the last header named key, and whether there
// was one.
func (r Record) Header(key string) (string, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return string(r.Headers[i].Value), true
		}
	}
	return "", false
}

// String formats r for test failures, as topic/partition@offset followed by
// the quoted key and value.
func (r Record) String() string {
	b := make([]byte, 0, 32+len(r.Key)+len(r.Value))
	b = append(b, r.Topic...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(r.Partition), 10)
	b = append(b, '@')
	b = strconv.AppendInt(b, r.Offset, 10)
	if r.Key != nil {
		b = append(b, " key="...)
		b = strconv.AppendQuote(b, string(r.Key))
	}
	b = append(b, " value="...)
	b = strconv.AppendQuote(b, string(r.Value))
	return string(b)
}

// Values returns the value of each record, as strings, in order.
func Values(records []Record) []string {
	vs := make([]string, len(records))
	for i, r := range records {
		vs[i] = string(r.Value)
	}
	return vs
}

// ReadN waits up to timeout for topic to hold at least n records, failing t
// if it does not, then waits another 200ms and reads everything the topic
// holds by then, so that duplicates and extra records show. The topic does
// not need to exist yet.
//
// It counts with the partitions' offsets, so records written before the
// test's producer started count too: use a fresh topic per check. See
// [Cluster.Read] for the order of the records.
func (c *Cluster) ReadN(t testing.TB, topic string, n int, timeout time.Duration) []Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+settle+readTimeout)
	defer cancel()
	opts := c.ClientOpts()
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	defer cl.Close()

	wctx, wcancel := context.WithTimeout(ctx, timeout)
	defer wcancel()
	var (
		have    int64
		lastErr error
	)
	for {
		spans, _, err := listOffsets(wctx, cl, topic)
		if err == nil {
			have, lastErr = count(spans), nil
			if have >= int64(n) {
				break
			}
		} else if wctx.Err() == nil {
			lastErr = err
		}
		if !sleep(wctx, pollInterval) {
			if lastErr != nil {
				t.Fatalf("kafkatest: %d of %d records in topic %q after %v; last error: %v", have, n, topic, timeout, lastErr)
			}
			t.Fatalf("kafkatest: %d of %d records in topic %q after %v", have, n, topic, timeout)
		}
	}

	sleep(ctx, settle)
	spans, err := waitOffsets(ctx, cl, topic)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	recs, err := consume(ctx, opts, topic, spans)
	if err != nil {
		t.Fatalf("kafkatest: %v", err)
	}
	return recs
}

// ReadAll returns every record topic holds, failing t if topic does not exist
// or cannot be read within 10s. See [Cluster.Read].
func (c *Cluster) ReadAll(t testing.TB, topic string) []Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	recs, err := c.Read(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// Read returns every record topic holds when Read starts: it asks for each
// partition's end offset, then consumes every partition up to it with a new
// franz-go client, logged in as [Cluster.ClientOpts] says. Records come
// sorted by partition, then offset.
//
// Read issues Metadata, ListOffsets and Fetch requests, so faults on those
// apply to it. Retriable errors are retried until ctx ends. If topic does
// not exist, the error wraps [kerr.UnknownTopicOrPartition].
func (c *Cluster) Read(ctx context.Context, topic string) ([]Record, error) {
	return read(ctx, c.ClientOpts(), topic)
}

// ReadTopic is [Cluster.Read] for any Kafka cluster, such as a real one in a
// quick start. opts configure the client, for example with [kgo.SASL] or
// [kgo.DialTLSConfig]; they must not make it consume.
func ReadTopic(ctx context.Context, brokers []string, topic string, opts ...kgo.Opt) ([]Record, error) {
	return read(ctx, append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...), topic)
}

func read(ctx context.Context, opts []kgo.Opt, topic string) ([]Record, error) {
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkatest: %w", err)
	}
	spans, err := waitOffsets(ctx, cl, topic)
	cl.Close()
	if err != nil {
		return nil, err
	}
	return consume(ctx, opts, topic, spans)
}

// span is a partition's offsets: the first record's and one past the last's.
type span struct{ start, end int64 }

func count(spans map[int32]span) int64 {
	var n int64
	for _, s := range spans {
		n += s.end - s.start
	}
	return n
}

// waitOffsets is listOffsets, retried while it fails with retriable errors.
func waitOffsets(ctx context.Context, cl *kgo.Client, topic string) (map[int32]span, error) {
	for {
		spans, retry, err := listOffsets(ctx, cl, topic)
		if err == nil || !retry {
			return spans, err
		}
		if !sleep(ctx, pollInterval) {
			return nil, fmt.Errorf("%w (%w)", err, ctx.Err())
		}
	}
}

// listOffsets returns the span of every partition of topic. On error it
// says whether trying again may help; not for an unknown topic.
func listOffsets(ctx context.Context, cl *kgo.Client, topic string) (spans map[int32]span, retry bool, err error) {
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return nil, ctx.Err() == nil, fmt.Errorf("kafkatest: metadata of %q: %w", topic, err)
	}
	if len(mresp.Topics) != 1 {
		return nil, true, fmt.Errorf("kafkatest: metadata of %q: %d topics in response", topic, len(mresp.Topics))
	}
	if err := kerr.ErrorForCode(mresp.Topics[0].ErrorCode); err != nil {
		retry := !errors.Is(err, kerr.UnknownTopicOrPartition) && kerr.IsRetriable(err)
		return nil, retry, fmt.Errorf("kafkatest: topic %q: %w", topic, err)
	}

	spans = make(map[int32]span)
	for _, at := range []int64{-2, -1} { // earliest, latest
		req := kmsg.NewPtrListOffsetsRequest()
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		for _, p := range mresp.Topics[0].Partitions {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p.Partition
			rp.Timestamp = at
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return nil, ctx.Err() == nil, fmt.Errorf("kafkatest: offsets of %q: %w", topic, err)
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					return nil, kerr.IsRetriable(err), fmt.Errorf("kafkatest: offsets of %s/%d: %w", topic, p.Partition, err)
				}
				s := spans[p.Partition]
				if at == -2 {
					s.start = p.Offset
				} else {
					s.end = p.Offset
				}
				spans[p.Partition] = s
			}
		}
	}
	if len(spans) != len(mresp.Topics[0].Partitions) {
		return nil, true, fmt.Errorf("kafkatest: offsets of %q: %d of %d partitions answered", topic, len(spans), len(mresp.Topics[0].Partitions))
	}
	return spans, false, nil
}

// consume reads the records in spans with a new client.
func consume(ctx context.Context, opts []kgo.Opt, topic string, spans map[int32]span) ([]Record, error) {
	from := make(map[int32]kgo.Offset)
	for p, s := range spans {
		if s.end > s.start {
			from[p] = kgo.NewOffset().At(s.start)
		}
	}
	if len(from) == 0 {
		return nil, nil
	}
	opts = append(opts[:len(opts):len(opts)],
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafkatest: %w", err)
	}
	defer cl.Close()

	var (
		want = count(spans)
		recs = make([]Record, 0, want)
		left = len(from)
		done = make(map[int32]bool, len(from))
	)
	for left > 0 {
		fs := cl.PollFetches(ctx)
		for _, fe := range fs.Errors() {
			var loss *kgo.ErrDataLoss
			if errors.As(fe.Err, &loss) {
				continue
			}
			return nil, fmt.Errorf("kafkatest: reading %s/%d after %d of %d records: %w", fe.Topic, fe.Partition, len(recs), want, fe.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if done[r.Partition] || r.Offset >= spans[r.Partition].end {
				return
			}
			recs = append(recs, newRecord(r))
			if r.Offset+1 >= spans[r.Partition].end {
				done[r.Partition] = true
				left--
			}
		})
	}
	slices.SortFunc(recs, func(a, b Record) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
	return recs, nil
}

func newRecord(r *kgo.Record) Record {
	rec := Record{
		Topic:       r.Topic,
		Partition:   r.Partition,
		Offset:      r.Offset,
		Key:         r.Key,
		Value:       r.Value,
		Time:        r.Timestamp,
		Compression: codec(r.Attrs.CompressionType()),
	}
	if len(r.Headers) > 0 {
		rec.Headers = make([]Header, len(r.Headers))
		for i, h := range r.Headers {
			rec.Headers[i] = Header{Key: h.Key, Value: h.Value}
		}
	}
	return rec
}

func codec(c uint8) string {
	switch c {
	case 0:
		return "none"
	case 1:
		return "gzip"
	case 2:
		return "snappy"
	case 3:
		return "lz4"
	case 4:
		return "zstd"
	}
	return "codec(" + strconv.Itoa(int(c)) + ")"
}

// sleep waits for d or until ctx ends, reporting whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
