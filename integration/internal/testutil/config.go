package testutil

import (
	"testing"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
)

// Quiet returns a sink configuration for c that sends nothing until a
// flush (Flush, Sync, Close): an hour's period, no eager first entry, big
// batches. Background errors go to the test log, through [ErrorLog].
func Quiet(t testing.TB, c *kafkatest.Cluster) core.Config {
	return core.Config{
		Brokers:         c.Addrs(),
		Period:          time.Hour,
		BatchSizeLimit:  10000, // under ShedThreshold × QueueLimit (80000), as New requires
		DelayFirstEntry: true,
		ErrorHandler:    ErrorLog(t),
	}
}
