package kafkatest

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestScratchKafkaGoAutoCreate(t *testing.T) {
	c := Start(t)
	for _, auto := range []bool{false, true} {
		w := &kafka.Writer{Addr: kafka.TCP(c.Addrs()...), AllowAutoTopicCreation: auto, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		err := w.WriteMessages(ctx, kafka.Message{Topic: "auto" + map[bool]string{true: "t", false: "f"}[auto], Value: []byte("x")})
		cancel()
		t.Logf("auto=%v err=%v took %v", auto, err, time.Since(start))
		w.Close()
	}
	t.Log(len(c.ReadAll(t, "autot")))
}

func TestScratchRemoveNode(t *testing.T) {
	c := Start(t)
	cl, _ := kgo.NewClient(c.ClientOpts()...)
	defer cl.Close()
	ctx := context.Background()
	req := kmsg.NewPtrApiVersionsRequest()
	_, err := cl.Broker(0).Request(ctx, req)
	t.Log("before", err)
	if err := c.Kfake().RemoveNode(0); err != nil {
		t.Fatal(err)
	}
	_, err = cl.Broker(0).Request(ctx, kmsg.NewPtrApiVersionsRequest())
	t.Log("after remove, old conn:", err)
	m := kmsg.NewPtrMetadataRequest()
	resp, err := cl.Broker(0).Request(ctx, m)
	if err == nil {
		t.Logf("metadata via removed node: %d brokers", len(resp.(*kmsg.MetadataResponse).Brokers))
	}
	addr := c.Addrs()
	t.Log(addr)
}
