// Command eventhubs logs with zap to Azure Event Hubs, through its Kafka
// endpoint: the cloud case of the article the project started from.
//
// Event Hubs speaks Kafka on <namespace>.servicebus.windows.net:9093, with
// SASL PLAIN over TLS: the user is the literal "$ConnectionString" and the
// password the namespace's (or the event hub's) whole connection string. An
// event hub is a Kafka topic. Requests must stay under 1 MB; the example
// sends no compression. Kafka needs the Standard tier or above.
//
// Settings come from the environment, so the connection string stays off
// the command line:
//
//	EVENTHUBS_CONNECTION_STRING  required: Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=<policy>;SharedAccessKey=<key>
//	EVENTHUB_NAME                the event hub (topic); optional if the connection string has EntityPath=<hub>
//	EVENTHUBS_NAMESPACE          optional: a check that the connection string is for this namespace
//	EVENTHUBS_BROKER             optional host:port overriding the endpoint (private link, proxy, tests)
//	EVENTHUBS_SSL_CA_LOCATION    optional PEM file of CA certificates; if unset, the system's roots
//
// The program checks them all before connecting and lists what is missing
// or wrong; it never prints the key or the connection string. Then it logs
// a few entries to the console and to the event hub, waits for Event Hubs
// to acknowledge them, and prints the sink's counts. A broker problem
// (refused login, unreachable endpoint) shows as warnings on the console,
// as the article's sink did, and a summary with a hint at the end.
//
//	export EVENTHUBS_CONNECTION_STRING='Endpoint=sb://mynamespace.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=...'
//	export EVENTHUB_NAME=app-logs
//	go run ./examples/eventhubs -dry-run   # validate and print the configuration, redacted
//	go run ./examples/eventhubs            # log 20 entries
//	go run ./examples/eventhubs -h
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/zapsink"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is the program without signal handling and exiting, for tests: it
// reads flags from args and settings through getenv, logs to stdout and
// reports configuration errors on stderr, and returns the exit code: 0 if
// every entry reached Event Hubs, 1 if not, 2 for a bad configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("eventhubs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "check the configuration, print it with secrets redacted, and exit without connecting")
	entries := fs.Int("entries", 20, "how many entries to log")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for Event Hubs to acknowledge the entries")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: eventhubs [flags]\n\n"+
			"Logs with zap to an Azure event hub through its Kafka endpoint. Settings come from the environment:\n\n"+
			"  %-28s required: Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=...;SharedAccessKey=...\n"+
			"  %-28s the event hub (Kafka topic); optional if the connection string has EntityPath\n"+
			"  %-28s optional: checks that the connection string is for this namespace\n"+
			"  %-28s optional host:port instead of <namespace>.servicebus.windows.net:9093\n"+
			"  %-28s optional PEM file of CA certificates (default: the system's)\n\nFlags:\n",
			envConnString, envHub, envNamespace, envBroker, envCA)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *entries < 1 || *timeout <= 0 {
		fmt.Fprintln(stderr, "eventhubs: -entries and -timeout must be positive")
		return 2
	}
	s, err := loadSettings(getenv)
	if err != nil {
		fmt.Fprintln(stderr, "eventhubs: the configuration is incomplete:")
		for line := range strings.SplitSeq(err.Error(), "\n") {
			fmt.Fprintln(stderr, "  -", line)
		}
		fmt.Fprintln(stderr, "run with -h for the variables")
		return 2
	}
	fmt.Fprintf(stdout, "Event Hubs configuration:\n%s", s.describe())
	if *dryRun {
		fmt.Fprintln(stdout, "dry run: the configuration is complete; not connecting")
		return 0
	}
	return send(ctx, s, *entries, *timeout, stdout)
}

// send logs n entries to the console and to the event hub, waits up to
// timeout for them, and reports.
func send(ctx context.Context, s settings, n int, timeout time.Duration, stdout io.Writer) int {
	console := zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.Lock(zapcore.AddSync(stdout)),
		zapcore.InfoLevel,
	)
	// The sink's background errors go to the console only: logging them
	// into the sink that reports them could loop.
	warn := zap.New(console).Named("kafkasink")
	var cause lastError // why the sink could not deliver, for the hint
	cfg := s.sinkConfig()
	cfg.ErrorHandler = func(err error) {
		var pe *core.ProduceError
		if errors.As(err, &pe) {
			cause.set(pe.Err)
		}
		warn.Warn("Event Hubs did not take entries yet", zap.Error(err))
	}
	kc, err := zapsink.New(zapsink.Config{Sink: cfg})
	if err != nil { // validated already: should not happen
		fmt.Fprintln(stdout, "eventhubs:", err)
		return 2
	}
	logger := zap.New(zapcore.NewTee(console, kc)).With(zap.String("service", "orders"))

	for i := range n {
		order := 1000 + i
		switch {
		case i%10 == 9:
			logger.Error("payment declined", zap.Int("order_id", order), zap.String("reason", "card expired"))
		case i%5 == 4:
			logger.Warn("stock low", zap.Int("order_id", order), zap.Int("remaining", 3))
		default:
			logger.Info("order placed", zap.Int("order_id", order), zap.Float64("amount", 19.99+float64(i)))
		}
	}

	fmt.Fprintf(stdout, "waiting up to %v for Event Hubs to acknowledge %d entries...\n", timeout, n)
	// The sink's own Close takes a context, so Ctrl-C cuts the wait
	// short; kc.Close would wait for the sink's SyncTimeout instead. Close
	// delivers what it can by the deadline and drops, counts and reports
	// the rest.
	cctx, cancel := context.WithTimeout(ctx, timeout)
	closeErr := kc.Sink().Close(cctx)
	cancel()
	st := kc.Sink().Stats()
	fmt.Fprintf(stdout, "delivered %d of %d entries to event hub %q at %s (%d batches, %d retries, %d dropped)\n",
		st.Delivered, n, s.hub, s.broker, st.Batches, st.Retries, st.Dropped.Total())
	if closeErr == nil && st.Delivered >= uint64(n) {
		return 0
	}
	if closeErr != nil {
		fmt.Fprintln(stdout, "eventhubs:", closeErr)
	}
	err = cause.get()
	if err != nil {
		fmt.Fprintln(stdout, "eventhubs: last error from Event Hubs:", err)
	}
	fmt.Fprintln(stdout, "eventhubs: hint:", hint(err, s))
	return 1
}

// lastError keeps the latest error reported by the sink's goroutines.
type lastError struct {
	mu  sync.Mutex
	err error
}

// set records err.
func (l *lastError) set(err error) {
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
}

// get returns the latest error recorded, or nil.
func (l *lastError) get() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// hint suggests what to check for err, the sink's last error.
func hint(err error, s settings) string {
	var (
		dnsErr  *net.DNSError
		opErr   *net.OpError
		unknown x509.UnknownAuthorityError
		hostErr x509.HostnameError
	)
	switch {
	case err == nil:
		return "Event Hubs reported no error: raise -timeout"
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("%s does not resolve: check the namespace in the connection string's Endpoint", s.broker)
	case errors.As(err, &unknown), errors.As(err, &hostErr):
		return "the broker's certificate is not trusted: set " + envCA + " to the right CA file, or unset it to use the system's roots"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the broker closed the connection, which is how a refused login shows: check that the connection string is whole " +
			"and its policy can Send, and that the namespace is Standard tier or above (Basic has no Kafka endpoint)"
	case errors.As(err, &opErr):
		return fmt.Sprintf("cannot reach %s: check the namespace and that outbound TCP port 9093 is open", s.broker)
	}
	return "check the connection string, the event hub name and the network path to " + s.broker
}
