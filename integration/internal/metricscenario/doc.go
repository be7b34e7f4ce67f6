// Package metricscenario is what the metrics exporters' broker-backed
// tests (integration/contrib/prometheus and integration/contrib/otel)
// share: a sink against a real in-process broker, run into drops of
// several reasons ([Start], [Scenario.Finish]), a sink in durable mode
// whose spool figures are not zero ([StartDurable], [Durable.Finish]),
// and the comparison of what an exporter shows with what the sink's Stats
// say ([Samples], [Key], [Compare]).
//
// Each exporter's test turns its own output (a Prometheus scrape, an
// OpenTelemetry collection) into [Samples] and spells out, from
// core.Stats, the samples it must show; this package checks the two
// against each other.
package metricscenario
