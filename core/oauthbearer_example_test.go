package core_test

import (
	"context"
	"fmt"

	"github.com/kafkasink/kafkasink/core"
)

// OAUTHBEARER for Confluent Cloud: the token function is called for every
// new connection; the extensions name the cluster and the identity pool.
// Printing the configuration names the mechanism only.
func ExampleOAuthBearer() {
	token := func(ctx context.Context) (string, error) {
		// Ask the identity provider, or a caching token source such as
		// golang.org/x/oauth2's, for a current access token.
		return "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdmMtbG9ncyJ9.c2lnbmF0dXJl", nil
	}
	cfg := core.Config{
		Brokers:          []string{"pkc-xxxxx.eu-west-1.aws.confluent.cloud:9092"},
		SecurityProtocol: core.SASLSSL,
		SASL: core.OAuthBearer{Token: token, Extensions: map[string]string{
			"logicalCluster": "lkc-abc123",
			"identityPoolId": "pool-Ab1c",
		}},
	}
	fmt.Println(cfg.Validate())
	fmt.Println(cfg.SASL)

	// Setting SASL and a password is a contradiction New refuses.
	cfg.SASLPassword = "api-secret"
	fmt.Println(cfg.Validate())
	// Output:
	// <nil>
	// OAUTHBEARER (extensions identityPoolId, logicalCluster)
	// kafkasink: invalid config: SASL: set (OAUTHBEARER) together with SASLPassword: the mechanism carries its own credentials; leave SASLUsername and SASLPassword empty
}
