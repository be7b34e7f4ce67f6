package core

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"
	"github.com/segmentio/kafka-go/protocol"
	"github.com/segmentio/kafka-go/protocol/createtopics"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// transport is what the batcher needs from Kafka. The real one is
// kafkaTransport; unit tests of the batcher use a fake.
type transport interface {
	// partitions returns the number of partitions of topic, asking the
	// brokers to create it if they auto-create topics.
	partitions(ctx context.Context, topic string) (int, error)
	// produce sends an encoded record set (encodeBatch) to one partition
	// and reports, for a request the broker answered, the errors of single
	// records by index. It owns batch: it gives it back with putBuf once
	// nothing reads it any more.
	produce(ctx context.Context, topic string, partition int32, batch *[]byte) (recordErrs map[int]error, err error)
	// refresh asks for fresh cluster metadata (after a leader moved);
	// with reconnect, it also drops the connections it holds.
	refresh(ctx context.Context, reconnect bool)
	// close releases connections. It must not block for long.
	close()
}

// kafkaTransport produces with kafka-go's low-level Client: the sink makes
// its own batches, so it skips kafka-go Writer's second batching layer and
// its per-message bookkeeping.
type kafkaTransport struct {
	client *kafka.Client
	tr     *kafka.Transport
	addr   net.Addr
	acks   kafka.RequiredAcks
}

func newKafkaTransport(cfg *resolved) (*kafkaTransport, error) {
	mech := cfg.SASL // nil unless set; checkSASL checked it
	if cfg.SecurityProtocol.usesSASL() && mech == nil {
		switch cfg.SASLMechanism {
		case Plain:
			mech = plain.Mechanism{Username: cfg.SASLUsername, Password: cfg.SASLPassword}
		case ScramSHA256, ScramSHA512:
			algo := scram.SHA256
			if cfg.SASLMechanism == ScramSHA512 {
				algo = scram.SHA512
			}
			m, err := scram.Mechanism(algo, cfg.SASLUsername, cfg.SASLPassword)
			if err != nil {
				// scram's errors (SASLprep of the credentials) may quote
				// them: never pass them on.
				return nil, &ConfigError{Field: "SASLPassword", Reason: "the SCRAM mechanism refused the credentials (not valid SASLprep strings)"}
			}
			mech = m
		}
	}
	tr := &kafka.Transport{
		Dial:        (&net.Dialer{Timeout: cfg.DialTimeout}).DialContext,
		DialTimeout: cfg.DialTimeout,
		ClientID:    cfg.ClientID,
		TLS:         cfg.tls,
		SASL:        mech,
	}
	acks := kafka.RequireAll
	switch cfg.RequiredAcks {
	case AcksLeader:
		acks = kafka.RequireOne
	case AcksNone:
		acks = kafka.RequireNone
	}
	addr := kafka.TCP(cfg.Brokers...)
	return &kafkaTransport{
		client: &kafka.Client{Addr: addr, Transport: tr, Timeout: cfg.WriteTimeout},
		tr:     tr,
		addr:   addr,
		acks:   acks,
	}, nil
}

// batchCodec is the codec record batches are compressed with; nil for
// none.
func batchCodec(c Compression) compress.Codec {
	var comp kafka.Compression
	switch c {
	case CompressionGzip:
		comp = kafka.Gzip
	case CompressionSnappy:
		comp = kafka.Snappy
	case CompressionLz4:
		comp = kafka.Lz4
	case CompressionZstd:
		comp = kafka.Zstd
	}
	return comp.Codec()
}

func (t *kafkaTransport) partitions(ctx context.Context, topic string) (int, error) {
	// AllowAutoTopicCreation makes kafka-go's transport ask the brokers
	// when the topic is not in its cache (and refresh the cache), rather
	// than answer from the cache alone.
	m, err := t.tr.RoundTrip(ctx, t.addr, &metadataAPI.Request{
		TopicNames:             []string{topic},
		AllowAutoTopicCreation: true,
	})
	if err != nil {
		return 0, err
	}
	res, ok := m.(*metadataAPI.Response)
	if !ok {
		return 0, fmt.Errorf("unexpected metadata response %T", m)
	}
	for _, rt := range res.Topics {
		if rt.Name != topic {
			continue
		}
		if rt.ErrorCode != 0 {
			return 0, kafka.Error(rt.ErrorCode)
		}
		if len(rt.Partitions) == 0 {
			return 0, kafka.LeaderNotAvailable
		}
		return len(rt.Partitions), nil
	}
	return 0, kafka.UnknownTopicOrPartition
}

func (t *kafkaTransport) refresh(ctx context.Context, reconnect bool) {
	if reconnect {
		// A connection can outlive what it talks to (a broker restarted
		// under the same id, behind a proxy or balancer): start afresh.
		t.tr.CloseIdleConnections()
	}
	// kafka-go refreshes its metadata cache only every MetadataTTL, except
	// after a CreateTopics response: an empty one forces a refresh and
	// creates nothing.
	_, _ = t.tr.RoundTrip(ctx, t.addr, &createtopics.Request{})
}

func (t *kafkaTransport) produce(ctx context.Context, topic string, partition int32, bp *[]byte) (map[int]error, error) {
	buf := *bp
	res, err := t.client.RawProduce(ctx, &kafka.RawProduceRequest{
		Topic:        topic,
		Partition:    int(partition),
		RequiredAcks: t.acks,
		RawRecords:   protocol.RawRecordSet{Reader: bytes.NewReader(buf)},
	})
	if err != nil {
		// The request may still be on its way out (kafka-go returns when
		// ctx ends, not when its connection is done with the bytes): the
		// buffer is left to the garbage collector.
		return nil, err
	}
	putBuf(bp, buf) // answered: kafka-go is done with the request
	if res == nil { // RequireNone
		return nil, nil
	}
	if res.Error != nil {
		return res.RecordErrors, res.Error
	}
	return res.RecordErrors, nil
}

func (t *kafkaTransport) close() { t.tr.CloseIdleConnections() }

// Error classes for produce failures.
type errClass int

const (
	classRetriable    errClass = iota // try again after a backoff
	classStaleMeta                    // try again after refreshing metadata
	classTooLarge                     // split the request, or drop a lone record
	classNotRetriable                 // drop the records
)

func classify(err error) errClass {
	var kerr kafka.Error
	if errors.As(err, &kerr) {
		switch kerr {
		case kafka.MessageSizeTooLarge, kafka.RecordListTooLarge:
			return classTooLarge
		case kafka.NotLeaderForPartition, kafka.LeaderNotAvailable, kafka.UnknownTopicOrPartition,
			kafka.FencedLeaderEpoch, kafka.UnknownLeaderEpoch, kafka.BrokerNotAvailable,
			kafka.ReplicaNotAvailable, kafka.NotController, kafka.KafkaStorageError:
			return classStaleMeta
		case kafka.InvalidTopic, kafka.TopicAuthorizationFailed, kafka.ClusterAuthorizationFailed,
			kafka.InvalidRecord, kafka.InvalidRequiredAcks, kafka.UnsupportedForMessageFormat,
			kafka.UnsupportedCompressionType, kafka.InvalidTimestamp, kafka.PolicyViolation,
			kafka.TransactionalIDAuthorizationFailed, kafka.UnsupportedVersion:
			return classNotRetriable
		}
		return classRetriable
	}
	// kafka-go's routing errors: its cached metadata lacks the topic,
	// the partition or the leader.
	if errors.Is(err, protocol.ErrNoTopic) || errors.Is(err, protocol.ErrNoPartition) || errors.Is(err, protocol.ErrNoLeader) {
		return classStaleMeta
	}
	return classRetriable
}
