package kafkatest_test

import (
	"context"
	"fmt"
	"log"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

func ExampleStartCluster() {
	// One broker, and one partition for "logs" so that the order is total.
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, kafkatest.DefaultTopic))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	cl, err := kgo.NewClient(append(c.ClientOpts(), kgo.DefaultProduceTopic(kafkatest.DefaultTopic))...)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, v := range []string{"a", "b", "c"} {
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
			log.Fatal(err)
		}
	}
	cl.Close()

	recs, err := c.Read(ctx, kafkatest.DefaultTopic)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(kafkatest.Values(recs))
	fmt.Println(recs[2])
	// Output:
	// [a b c]
	// logs/0@2 value="c"
}
