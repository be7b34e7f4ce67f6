package testutil

import (
	"net"
	"testing"
)

// Unreachable returns an address on the loopback interface where nothing
// listens: a broker that is down.
func Unreachable(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
