package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

const (
	// demoBurst is how many entries the demo logs at start-up.
	demoBurst = 25
	// demoInterval is how often it logs one more afterwards.
	demoInterval = time.Second
)

// demo is the embedded cluster and the producer that feeds it, for a run
// without brokers.
type demo struct {
	brokers []string
	cluster *kafkatest.Cluster
	sink    *core.Sink
	quit    chan struct{}
	wg      sync.WaitGroup
}

// startDemo starts an in-process cluster of 3 brokers and a sink that logs
// demoBurst entries to topic at once, then one every demoInterval until
// ctx ends or stop is called.
func startDemo(ctx context.Context, topic string, out io.Writer) (*demo, error) {
	c, err := kafkatest.StartCluster()
	if err != nil {
		return nil, fmt.Errorf("starting the embedded cluster: %w", err)
	}
	d := &demo{brokers: c.Addrs(), cluster: c, quit: make(chan struct{})}
	d.sink, err = core.New(core.Config{
		Brokers: d.brokers,
		Topic:   topic,
		Period:  100 * time.Millisecond,
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	fmt.Fprintf(out, "no brokers given: started an embedded Kafka cluster at %s\n", strings.Join(d.brokers, ","))
	fmt.Fprintf(out, "logging %d demo entries to topic %q, then one every %v\n", demoBurst, topic, demoInterval)
	for i := range demoBurst {
		d.log(i)
	}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		t := time.NewTicker(demoInterval)
		defer t.Stop()
		for i := demoBurst; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-d.quit:
				return
			case <-t.C:
				d.log(i)
			}
		}
	}()
	return d, nil
}

// log writes the demo entry number i: a request log, with a warning every
// 7th and an error every 11th.
func (d *demo) log(i int) {
	level, msg, status := "info", "request handled", 200
	switch {
	case i%11 == 10:
		level, msg, status = "error", "request failed", 500
	case i%7 == 6:
		level, msg = "warn", "slow request"
	}
	now := time.Now()
	b := make([]byte, 0, 160)
	b = append(b, `{"level":"`...)
	b = append(b, level...)
	b = append(b, `","time":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","message":"`...)
	b = append(b, msg...)
	b = append(b, `","request_id":"demo-`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, '}')
	lvl, _ := core.ParseLevel(level)
	// Write copies b. Its errors are counted in the sink's Stats and
	// reported on stderr: a demo has nothing better to do with them.
	_ = d.sink.Write(core.Entry{Time: now, Level: lvl, Message: msg, JSON: b})
}

// stop stops the demo producer, delivers what it still holds, and shuts
// the cluster down.
func (d *demo) stop(errOut io.Writer) {
	close(d.quit)
	d.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.sink.Close(ctx); err != nil {
		fmt.Fprintln(errOut, "consumer: demo producer:", err)
	}
	d.cluster.Close()
}
