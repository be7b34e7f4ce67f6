// Command metrics logs with zap into Kafka while serving the sink's
// metrics over HTTP: Prometheus's text format on /metrics (through
// contrib/prometheus) and expvar's JSON on /debug/vars (through
// core.PublishExpvar). It logs -n request entries, one in 50 an error, one
// of them too large for the sink (to show a drop and its reason), flushes,
// then serves until interrupted.
//
// It uses the brokers in KAFKA_BROKERS (comma-separated host:port), whose
// cluster must create topic app-logs on first use or already have it.
// Without KAFKA_BROKERS it starts an in-process broker.
//
//	go run ./examples/metrics                      # then: curl localhost:9464/metrics; curl localhost:9464/debug/vars
//	go run ./examples/metrics -addr :9464 -n 5000
package main

import (
	"context"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"

	kafkaprom "github.com/kafkasink/kafkasink/contrib/prometheus"
	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/zapsink"
)

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "localhost:9464", "`host:port` to serve /metrics and /debug/vars on")
	flag.IntVar(&o.n, "n", 1000, "request entries to log before serving on")
	flag.StringVar(&o.expvar, "expvar", "kafkasink", "`name` of the sink's stats in /debug/vars")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "metrics example:", err)
		os.Exit(1)
	}
}

// options are the program's flags, and a hook for its test.
type options struct {
	addr   string
	n      int
	expvar string

	// logged, if set, is called with the server's base URL once the
	// entries are logged and flushed.
	logged func(url string)
}

// run logs o.n entries while serving the metrics on o.addr, then serves on
// until ctx ends, and closes everything.
func run(ctx context.Context, o options, out io.Writer) error {
	brokers := strings.Split(os.Getenv("KAFKA_BROKERS"), ",")
	if brokers[0] == "" {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
		if err != nil {
			return err
		}
		defer c.Close()
		brokers = c.ListenAddrs()
	}

	kc, err := zapsink.New(zapsink.Config{Sink: core.Config{
		Brokers:       brokers,
		Topic:         "app-logs",
		Period:        200 * time.Millisecond,
		MaxEntryBytes: 64 << 10,
		// No ErrorHandler: the sink prints its errors to stderr, at most
		// a line a second.
	}})
	if err != nil {
		return err
	}
	defer kc.Close()
	sink := kc.Sink()

	// The metrics: one call for expvar, one collector for Prometheus.
	if err := core.PublishExpvar(o.expvar, sink); err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(kafkaprom.New(sink, kafkaprom.Options{ConstLabels: prometheus.Labels{"sink": "app"}}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/debug/vars", expvar.Handler())

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(out, "serving %s/metrics and %s/debug/vars\n", url, url)

	logger := zap.New(kc)
	for i := range o.n {
		req := logger.With(zap.String("request_id", fmt.Sprintf("req-%d", i)))
		if i%50 == 49 {
			req.Error("payment failed", zap.Int("attempt", 3))
		} else {
			req.Info("order placed", zap.Float64("amount", 9.99), zap.Duration("took", time.Duration(i%7)*time.Millisecond))
		}
	}
	// Larger than MaxEntryBytes: Write refuses it, and counts it as too_large.
	logger.Warn("request dump", zap.String("body", strings.Repeat("x", 100<<10)))

	flushCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = sink.Flush(flushCtx)
	cancel()
	st := sink.Stats()
	fmt.Fprintf(out, "logged %d entries: delivered %d, dropped %d, p50 %v, p99 %v (flush: %v)\n",
		st.Received, st.Delivered, st.Dropped.Total(), st.Latency.Quantile(0.5), st.Latency.Quantile(0.99), err)
	if o.logged != nil {
		o.logged(url)
	}
	fmt.Fprintln(out, "serving until interrupted (Ctrl-C)")

	select {
	case <-ctx.Done():
	case err := <-served:
		return err
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
