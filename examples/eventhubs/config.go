package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/kafkasink/kafkasink/core"
)

// The environment variables the example reads.
const (
	envConnString = "EVENTHUBS_CONNECTION_STRING"
	envHub        = "EVENTHUB_NAME"
	envNamespace  = "EVENTHUBS_NAMESPACE"
	envBroker     = "EVENTHUBS_BROKER"
	envCA         = "EVENTHUBS_SSL_CA_LOCATION"
)

const (
	// kafkaPort is the port of Event Hubs' Kafka endpoint.
	kafkaPort = "9093"
	// defaultDomain completes a bare namespace name.
	defaultDomain = ".servicebus.windows.net"
	// maxRequestBytes keeps each produce request, and so each entry, under
	// Event Hubs' 1 MB limit, with room for the request's own framing.
	maxRequestBytes = 900_000
)

// settings is the example's validated configuration.
type settings struct {
	broker     string // host:port of the Kafka endpoint
	hub        string // the event hub: the Kafka topic
	namespace  string // the connection string's namespace host
	keyName    string // the shared access policy, or "" with a SAS token
	connString string // secret: the SASL password
	caFile     string
}

// connString is a parsed Event Hubs connection string.
type connString struct {
	endpoint   string // the Endpoint value, as written
	host       string // the Endpoint's host: <namespace>.servicebus.windows.net
	keyName    string
	hasKey     bool // SharedAccessKey is set; its value is never kept
	hasSAS     bool // SharedAccessSignature is set instead
	entityPath string
}

// parseConnString parses s, a list of key=value pairs separated by ';',
// and reports every part that is missing or malformed. The errors never
// quote the key or the signature.
func parseConnString(s string) (connString, error) {
	var cs connString
	var problems []error
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return cs, fmt.Errorf("%s is wrapped in quotes: remove them, the value starts with Endpoint=", envConnString)
	}
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		// Keys end at the first '=': base64 keys end with '=' themselves.
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			problems = append(problems, fmt.Errorf("%s has a part without '=' (%d characters): want key=value pairs separated by ';'", envConnString, len(part)))
			continue
		}
		k = strings.TrimSpace(k)
		key := strings.ToLower(k)
		if seen[key] {
			problems = append(problems, fmt.Errorf("%s sets %s twice", envConnString, k))
		}
		seen[key] = true
		switch key {
		case "endpoint":
			cs.endpoint = strings.TrimSpace(v)
		case "sharedaccesskeyname":
			cs.keyName = strings.TrimSpace(v)
		case "sharedaccesskey":
			cs.hasKey = strings.TrimSpace(v) != ""
		case "sharedaccesssignature":
			cs.hasSAS = strings.TrimSpace(v) != ""
		case "entitypath":
			cs.entityPath = strings.TrimSpace(v)
		}
	}
	switch u, err := url.Parse(cs.endpoint); {
	case cs.endpoint == "":
		problems = append(problems, fmt.Errorf("%s has no Endpoint: want Endpoint=sb://<namespace>.servicebus.windows.net/", envConnString))
	case err != nil || u.Scheme != "sb" || u.Hostname() == "":
		problems = append(problems, fmt.Errorf("%s has Endpoint=%s: want sb://<namespace>.servicebus.windows.net/", envConnString, cs.endpoint))
	default:
		cs.host = strings.ToLower(u.Hostname())
	}
	switch {
	case cs.hasSAS:
		// A shared access signature replaces the key name and the key.
	case cs.keyName == "" && !cs.hasKey:
		problems = append(problems, fmt.Errorf("%s has neither SharedAccessKeyName nor SharedAccessKey: copy the whole connection string of a shared access policy", envConnString))
	case cs.keyName == "":
		problems = append(problems, fmt.Errorf("%s has no SharedAccessKeyName (the policy's name, such as RootManageSharedAccessKey)", envConnString))
	case !cs.hasKey:
		problems = append(problems, fmt.Errorf("%s has no SharedAccessKey (the policy's primary or secondary key)", envConnString))
	}
	return cs, errors.Join(problems...)
}

// loadSettings reads the variables through getenv and reports, at once,
// everything that is missing or inconsistent.
func loadSettings(getenv func(string) string) (settings, error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	var problems []error
	raw := get(envConnString)
	var cs connString
	if raw == "" {
		problems = append(problems, fmt.Errorf("%s is not set: in the Azure portal, open the Event Hubs namespace, "+
			"Shared access policies, a policy with Send, and copy \"Connection string–primary key\"", envConnString))
	} else {
		var err error
		cs, err = parseConnString(raw)
		if err != nil {
			problems = append(problems, err)
		}
	}
	s := settings{namespace: cs.host, keyName: cs.keyName, connString: raw, caFile: get(envCA)}

	s.hub = get(envHub)
	switch {
	case s.hub == "" && raw == "":
		problems = append(problems, fmt.Errorf("%s is not set: the event hub to send to (the Kafka topic)", envHub))
	case s.hub == "" && cs.entityPath == "":
		problems = append(problems, fmt.Errorf("%s is not set, and the connection string has no EntityPath: name the event hub to send to (the Kafka topic)", envHub))
	case s.hub == "":
		s.hub = cs.entityPath
	case cs.entityPath != "" && s.hub != cs.entityPath:
		problems = append(problems, fmt.Errorf("%s is %q but the connection string is for event hub %q (EntityPath): its key only grants access to that hub", envHub, s.hub, cs.entityPath))
	}

	ns := strings.ToLower(get(envNamespace))
	if ns != "" && !strings.Contains(ns, ".") {
		ns += defaultDomain
	}
	if broker := get(envBroker); broker != "" {
		// An explicit endpoint (a private link, a proxy, a test broker)
		// wins; the connection string still authenticates.
		if _, port, err := net.SplitHostPort(broker); err != nil || port == "" {
			problems = append(problems, fmt.Errorf("%s is %q: want host:port, such as mynamespace.servicebus.windows.net:9093", envBroker, broker))
		}
		s.broker = broker
	} else {
		if ns != "" && cs.host != "" && ns != cs.host {
			problems = append(problems, fmt.Errorf("%s is %q but the connection string's Endpoint is for %q: a key only works for its own namespace", envNamespace, ns, cs.host))
		}
		if cs.host != "" {
			s.broker = net.JoinHostPort(cs.host, kafkaPort)
		}
	}
	if err := errors.Join(problems...); err != nil {
		return settings{}, err
	}
	// Let the sink check the rest (the topic name, the CA file) and name
	// the variable rather than the Config field.
	if err := s.sinkConfig().Validate(); err != nil {
		var ce *core.ConfigError
		if errors.As(err, &ce) {
			v := map[string]string{"Topic": envHub, "SSLCALocation": envCA}[ce.Field]
			if v == "" {
				v = envBroker + " or " + envConnString
			}
			return settings{}, fmt.Errorf("%s: %s", v, ce.Reason)
		}
		return settings{}, err
	}
	return s, nil
}

// sinkConfig is the sink's configuration for Event Hubs: SASL PLAIN over
// TLS, the user "$ConnectionString" and the connection string as the
// password, requests under 1 MB, no compression. Batches follow the
// article's example: 10 entries or every 2 seconds.
func (s settings) sinkConfig() core.Config {
	return core.Config{
		Brokers:          []string{s.broker},
		Topic:            s.hub,
		SecurityProtocol: core.SASLSSL,
		SASLMechanism:    core.Plain,
		SASLUsername:     "$ConnectionString",
		SASLPassword:     s.connString,
		SSLCALocation:    s.caFile,
		MaxBatchBytes:    maxRequestBytes,
		MaxEntryBytes:    maxRequestBytes,
		Compression:      core.CompressionNone,
		BatchSizeLimit:   10,
		Period:           2 * time.Second,
		ClientID:         "kafkasink-eventhubs-example",
	}
}

// describe writes s without secrets: the key and the connection string
// never appear.
func (s settings) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "  broker:     %s (SASL_SSL, PLAIN)\n", s.broker)
	fmt.Fprintf(&b, "  event hub:  %s\n", s.hub)
	fmt.Fprintf(&b, "  namespace:  %s\n", s.namespace)
	if s.keyName != "" {
		fmt.Fprintf(&b, "  login:      $ConnectionString, policy %s, key [REDACTED]\n", s.keyName)
	} else {
		fmt.Fprintf(&b, "  login:      $ConnectionString, shared access signature [REDACTED]\n")
	}
	ca := s.caFile
	if ca == "" {
		ca = "system roots"
	}
	fmt.Fprintf(&b, "  CA:         %s\n", ca)
	c := s.sinkConfig()
	fmt.Fprintf(&b, "  batches:    %d entries or every %v, requests under %d bytes, compression %s\n",
		c.BatchSizeLimit, c.Period, c.MaxBatchBytes, c.Compression)
	return b.String()
}

// String is describe, so that printing settings with fmt never shows the
// connection string.
func (s settings) String() string { return s.describe() }

// GoString is String, for %#v.
func (s settings) GoString() string { return s.describe() }
