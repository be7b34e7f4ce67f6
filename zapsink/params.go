package zapsink

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// urlParam is one query parameter of a kafka:// URL.
type urlParam struct {
	name    string   // as documented and in errors, e.g. "batchSizeLimit"; matched regardless of case
	aliases []string // other names for the same parameter, e.g. "requiredAcks" for "acks"
	field   string   // the core.Config (or URLConfig) field it sets, to point a ConfigError at it
	part    string   // the part of the URL that sets field too ("the hosts"), if any
	secret  bool     // its value is a password: redacted from every error, never quoted
	set     func(c *URLConfig, v string) error
}

// urlParams are the query parameters, in the order [ParseURL]'s
// documentation lists them. Lookup by name or alias, the list of names in
// errors, and the hints that point a [core.ConfigError] at the parameter
// to fix all come from this table, so a new parameter (formatter,
// spoolDir, …) is one row here and one line in ParseURL's documentation;
// TestURLParamsDocumented checks that the two, and the README, agree.
var urlParams = [...]urlParam{
	{name: "bootstrapServers", field: "Brokers", part: "the hosts", set: func(c *URLConfig, v string) error {
		c.Sink.Brokers = brokers(v)
		return nil
	}},
	{name: "topic", field: "Topic", part: "the path", set: stringParam(func(c *URLConfig) *string { return &c.Sink.Topic })},
	{name: "batchSizeLimit", field: "BatchSizeLimit", set: intParam(func(c *URLConfig) *int { return &c.Sink.BatchSizeLimit })},
	{name: "period", field: "Period", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.Period })},
	{name: "queueLimit", field: "QueueLimit", set: intParam(func(c *URLConfig) *int { return &c.Sink.QueueLimit })},
	{name: "queueByteLimit", field: "QueueByteLimit", set: intParam(func(c *URLConfig) *int { return &c.Sink.QueueByteLimit })},
	{name: "eagerlyEmitFirstEvent", field: "DelayFirstEntry", set: func(c *URLConfig, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("got %q, want true or false", v)
		}
		c.Sink.DelayFirstEntry = !b
		return nil
	}},
	{name: "overflowPolicy", field: "OverflowPolicy", set: parsedParam(core.ParseOverflowPolicy, func(c *URLConfig) *core.OverflowPolicy { return &c.Sink.OverflowPolicy })},
	{name: "blockTimeout", field: "BlockTimeout", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.BlockTimeout })},
	{name: "maxEntryBytes", field: "MaxEntryBytes", set: intParam(func(c *URLConfig) *int { return &c.Sink.MaxEntryBytes })},
	{name: "maxBatchBytes", field: "MaxBatchBytes", set: intParam(func(c *URLConfig) *int { return &c.Sink.MaxBatchBytes })},
	{name: "maxInFlight", field: "MaxInFlight", set: intParam(func(c *URLConfig) *int { return &c.Sink.MaxInFlight })},
	{name: "shedLevel", field: "ShedLevel", set: parsedParam(core.ParseLevel, func(c *URLConfig) *core.Level { return &c.Sink.ShedLevel })},
	{name: "shedThreshold", field: "ShedThreshold", set: func(c *URLConfig, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return fmt.Errorf("got %q, want a fraction above 0, at most 1 (1 turns shedding off)", v)
		}
		c.Sink.ShedThreshold = f
		return nil
	}},
	{name: "compression", field: "Compression", set: parsedParam(core.ParseCompression, func(c *URLConfig) *core.Compression { return &c.Sink.Compression })},
	{name: "acks", aliases: []string{"requiredAcks"}, field: "RequiredAcks", set: parsedParam(core.ParseAcks, func(c *URLConfig) *core.Acks { return &c.Sink.RequiredAcks })},
	{name: "retryTimeLimit", field: "RetryTimeLimit", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.RetryTimeLimit })},
	{name: "minBackoff", field: "MinBackoff", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.MinBackoff })},
	{name: "maxBackoff", field: "MaxBackoff", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.MaxBackoff })},
	{name: "writeTimeout", field: "WriteTimeout", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.WriteTimeout })},
	{name: "dialTimeout", field: "DialTimeout", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.DialTimeout })},
	{name: "syncTimeout", field: "SyncTimeout", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.SyncTimeout })},
	{name: "clientId", field: "ClientID", set: stringParam(func(c *URLConfig) *string { return &c.Sink.ClientID })},
	{name: "securityProtocol", field: "SecurityProtocol", set: parsedParam(core.ParseSecurityProtocol, func(c *URLConfig) *core.SecurityProtocol { return &c.Sink.SecurityProtocol })},
	{name: "saslMechanism", field: "SASLMechanism", set: parsedParam(core.ParseSASLMechanism, func(c *URLConfig) *core.SASLMechanism { return &c.Sink.SASLMechanism })},
	{name: "saslUsername", field: "SASLUsername", part: "the user", set: stringParam(func(c *URLConfig) *string { return &c.Sink.SASLUsername })},
	{name: "saslPassword", field: "SASLPassword", part: "the password", secret: true, set: stringParam(func(c *URLConfig) *string { return &c.Sink.SASLPassword })},
	{name: "saslPasswordEnv", field: "SASLPassword", set: func(c *URLConfig, v string) error {
		pw, ok := os.LookupEnv(v)
		if !ok {
			return fmt.Errorf("environment variable %q is not set", v)
		}
		c.Sink.SASLPassword = pw
		return nil
	}},
	{name: "sslCaLocation", field: "SSLCALocation", set: stringParam(func(c *URLConfig) *string { return &c.Sink.SSLCALocation })},
	{name: "spoolDir", field: "SpoolDir", set: stringParam(func(c *URLConfig) *string { return &c.Sink.SpoolDir })},
	{name: "spoolByteLimit", field: "SpoolByteLimit", set: func(c *URLConfig, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("got %q, want a positive integer (bytes)", v)
		}
		c.Sink.SpoolByteLimit = n
		return nil
	}},
	{name: "spoolInterval", field: "SpoolInterval", set: durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.SpoolInterval })},
	{name: "spoolSync", field: "SpoolSync", set: func(c *URLConfig, v string) error {
		if strings.EqualFold(v, "always") {
			c.Sink.SpoolSync = core.SpoolSyncEveryWrite
			return nil
		}
		if err := durationParam(func(c *URLConfig) *time.Duration { return &c.Sink.SpoolSync })(c, v); err != nil {
			return fmt.Errorf("got %q, want always (every write) or a duration such as 1s, or seconds", v)
		}
		return nil
	}},
	{name: "formatter", field: "Formatter", set: func(c *URLConfig, v string) error {
		f, err := core.ParseFormatter(v)
		if err != nil {
			return err
		}
		c.Sink.Formatter = f
		return nil
	}},
	{name: "levelKey", field: "LevelKey", set: func(c *URLConfig, v string) error {
		if v == "" {
			return errors.New(`got "", want a JSON key`)
		}
		c.LevelKey = v
		return nil
	}},
}

// paramsByName finds a parameter by its name or an alias, in lower case.
var paramsByName = func() map[string]*urlParam {
	m := make(map[string]*urlParam)
	for i := range urlParams {
		p := &urlParams[i]
		for _, n := range append([]string{p.name}, p.aliases...) {
			if _, dup := m[strings.ToLower(n)]; dup {
				panic("zapsink: URL parameter " + n + " defined twice")
			}
			m[strings.ToLower(n)] = p
		}
	}
	return m
}()

// lookupParam returns the parameter named name, regardless of case.
func lookupParam(name string) (*urlParam, bool) {
	p, ok := paramsByName[strings.ToLower(name)]
	return p, ok
}

// paramNames lists the parameters' names and aliases as documented, in
// order, for errors: "bootstrapServers, topic, …, acks, requiredAcks, …".
var paramNames = func() string {
	var names []string
	for _, p := range urlParams {
		names = append(names, p.name)
		names = append(names, p.aliases...)
	}
	return strings.Join(names, ", ")
}()

// paramFor names what in a URL sets the Config field of a
// [core.ConfigError] ("Brokers[1]" → "the hosts or bootstrapServers"), or
// returns "" for a field no URL sets.
func paramFor(field string) string {
	field, _, _ = strings.Cut(field, "[")
	var ways []string
	for _, p := range urlParams {
		if p.field != field {
			continue
		}
		if p.part != "" {
			ways = append([]string{p.part}, ways...)
		}
		ways = append(ways, p.name)
	}
	switch len(ways) {
	case 0:
		return ""
	case 1:
		return ways[0]
	}
	return strings.Join(ways[:len(ways)-1], ", ") + " or " + ways[len(ways)-1]
}

func stringParam(field func(*URLConfig) *string) func(*URLConfig, string) error {
	return func(c *URLConfig, v string) error {
		*field(c) = v
		return nil
	}
}

func intParam(field func(*URLConfig) *int) func(*URLConfig, string) error {
	return func(c *URLConfig, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("got %q, want a positive integer", v)
		}
		*field(c) = n
		return nil
	}
}

// durationParam accepts a Go duration or, as Serilog's period, a number of
// seconds.
func durationParam(field func(*URLConfig) *time.Duration) func(*URLConfig, string) error {
	return func(c *URLConfig, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			secs, ferr := strconv.ParseFloat(v, 64)
			if ferr != nil || secs > float64(1<<62)/float64(time.Second) {
				return fmt.Errorf("got %q, want a duration such as 1s or 500ms, or seconds", v)
			}
			d = time.Duration(secs * float64(time.Second))
		}
		if d <= 0 {
			return fmt.Errorf("got %q, want a positive duration", v)
		}
		*field(c) = d
		return nil
	}
}

// parsedParam sets a field with one of core's parsers (core.ParseLevel,
// core.ParseAcks, …), so that the URL takes what core takes.
func parsedParam[T any](parse func(string) (T, error), field func(*URLConfig) *T) func(*URLConfig, string) error {
	return func(c *URLConfig, v string) error {
		x, err := parse(v)
		if err != nil {
			return err
		}
		*field(c) = x
		return nil
	}
}
