// Command mskiam logs with zap to Amazon MSK with IAM access control: it
// plugs kafka-go's own AWS_MSK_IAM mechanism
// (github.com/segmentio/kafka-go/sasl/aws_msk_iam_v2, a module of its own
// that kafkasink does not depend on) into core.Config.SASL.
//
// MSK's IAM listeners speak SASL over TLS on port 9098 (9198 from outside
// the VPC). Each new connection is signed with the AWS credentials of the
// SDK's default chain: environment variables, AWS_PROFILE and the shared
// files, a web identity (EKS), the ECS task role or the EC2 instance role.
// The SDK caches them and refreshes them before they expire; a connection
// made after a refresh signs with the new ones. The role needs
// kafka-cluster:Connect, kafka-cluster:WriteData and
// kafka-cluster:DescribeTopic on the cluster and topic.
//
// Settings come from the environment:
//
//	MSK_BROKERS           required: bootstrap brokers, host:port separated by commas
//	MSK_TOPIC             the topic; default "logs"
//	AWS_REGION            the cluster's region (or the profile's region)
//	MSK_SSL_CA_LOCATION   optional PEM file of CA certificates; if unset, the system's roots
//
// With -dry-run the program checks the settings, builds the mechanism and
// prints the sink's configuration, without contacting AWS or the brokers
// (no credentials are fetched). Otherwise it logs a few entries to the
// console and to MSK, waits for them to be acknowledged, and prints the
// sink's counts.
//
//	export MSK_BROKERS=b-1.logs.abc123.c2.kafka.eu-west-1.amazonaws.com:9098,b-2.logs.abc123.c2.kafka.eu-west-1.amazonaws.com:9098
//	export AWS_REGION=eu-west-1
//	go run ./examples/mskiam -dry-run
//	go run ./examples/mskiam
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/segmentio/kafka-go/sasl/aws_msk_iam_v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/zapsink"
)

// The environment variables the example reads besides the AWS SDK's own.
const (
	envBrokers = "MSK_BROKERS"
	envTopic   = "MSK_TOPIC"
	envCA      = "MSK_SSL_CA_LOCATION"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run is the program without signal handling and exiting, for tests: it
// reads flags from args and the example's settings through getenv (the AWS
// SDK reads its own from the process environment), and returns the exit
// code: 0 if every entry was delivered, 1 if not, 2 for a bad
// configuration.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("mskiam", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "check the configuration and print it, without contacting AWS or the brokers")
	entries := fs.Int("entries", 20, "how many entries to log")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for MSK to acknowledge the entries")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *entries < 1 || *timeout <= 0 {
		fmt.Fprintln(stderr, "mskiam: -entries and -timeout must be positive")
		return 2
	}
	cfg, err := sinkConfig(ctx, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "mskiam:", err)
		return 2
	}
	fmt.Fprintln(stdout, "sink:", cfg)
	if *dryRun {
		fmt.Fprintln(stdout, "dry run: the configuration is complete; AWS credentials are fetched at the first connection; not connecting")
		return 0
	}
	return send(ctx, cfg, *entries, *timeout, stdout)
}

// sinkConfig builds the sink's configuration: the brokers and topic from
// getenv, SASL_SSL with kafka-go's AWS_MSK_IAM mechanism on the AWS SDK's
// default configuration. Loading that configuration reads the environment
// and the shared files only: credentials are fetched, and refreshed, when
// a connection is signed.
func sinkConfig(ctx context.Context, getenv func(string) string) (core.Config, error) {
	var brokers []string
	for b := range strings.SplitSeq(getenv(envBrokers), ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		return core.Config{}, fmt.Errorf("%s is not set: want the bootstrap brokers, e.g. b-1.<cluster>.<id>.c2.kafka.<region>.amazonaws.com:9098", envBrokers)
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return core.Config{}, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return core.Config{}, errors.New("no AWS region: set AWS_REGION to the cluster's region (or a region in the AWS profile)")
	}
	cfg := core.Config{
		Brokers:          brokers,
		Topic:            getenv(envTopic),
		SecurityProtocol: core.SASLSSL,
		SASL:             mechanism(awsCfg),
		SSLCALocation:    getenv(envCA),
	}
	if err := cfg.Validate(); err != nil {
		return core.Config{}, err
	}
	return cfg, nil
}

// mechanism is the whole integration: kafka-go's AWS_MSK_IAM mechanism
// on the SDK's configuration, whose credential provider caches.
func mechanism(awsCfg aws.Config) *aws_msk_iam_v2.Mechanism {
	return aws_msk_iam_v2.NewMechanism(awsCfg)
}

// send logs n entries to the console and to MSK, waits up to timeout for
// them, and reports.
func send(ctx context.Context, cfg core.Config, n int, timeout time.Duration, stdout io.Writer) int {
	console := zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.Lock(zapcore.AddSync(stdout)),
		zapcore.InfoLevel,
	)
	// The sink's background errors go to the console only: logging them
	// into the sink that reports them could loop.
	warn := zap.New(console).Named("kafkasink")
	cfg.ErrorHandler = func(err error) { warn.Warn("MSK did not take entries yet", zap.Error(err)) }
	kc, err := zapsink.New(zapsink.Config{Sink: cfg})
	if err != nil { // validated already: should not happen
		fmt.Fprintln(stdout, "mskiam:", err)
		return 2
	}
	logger := zap.New(zapcore.NewTee(console, kc)).With(zap.String("service", "orders"))
	for i := range n {
		logger.Info("order placed", zap.Int("order_id", 1000+i))
	}
	fmt.Fprintf(stdout, "waiting up to %v for MSK to acknowledge %d entries...\n", timeout, n)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	closeErr := kc.Sink().Close(cctx)
	cancel()
	st := kc.Sink().Stats()
	fmt.Fprintf(stdout, "delivered %d of %d entries (%d retries, %d dropped)\n", st.Delivered, n, st.Retries, st.Dropped.Total())
	if closeErr == nil && st.Delivered >= uint64(n) {
		return 0
	}
	if closeErr != nil {
		fmt.Fprintln(stdout, "mskiam:", closeErr)
	}
	fmt.Fprintln(stdout, "mskiam: hint: check the region, that the role may kafka-cluster:Connect and WriteData, and that the brokers are the IAM listeners (port 9098, or 9198 from outside the VPC)")
	return 1
}
