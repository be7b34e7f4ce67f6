package zapsink

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestURLParamsDocumented checks that ParseURL's documentation lists the
// table's parameters, in its order, each line naming the field it sets and
// the parameter's aliases, and that the README names every one.
func TestURLParamsDocumented(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "parseurl.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var text string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "ParseURL" {
			text = fn.Doc.Text()
		}
	}
	// The parameters are the indented lines after "regard to case:".
	_, list, ok := strings.Cut(text, "regard to case:\n\n")
	if !ok {
		t.Fatalf("ParseURL's doc has no parameter list after \"regard to case:\":\n%s", text)
	}
	var lines []string
	for line := range strings.SplitSeq(list, "\n") {
		if !strings.HasPrefix(line, "\t") {
			break
		}
		lines = append(lines, strings.TrimPrefix(line, "\t"))
	}
	var documented, table []string
	for _, line := range lines {
		documented = append(documented, strings.Fields(line)[0])
	}
	for _, p := range urlParams {
		table = append(table, p.name)
	}
	if !slices.Equal(documented, table) {
		t.Fatalf("ParseURL's doc lists\n%q\nwant the table's\n%q", documented, table)
	}
	for i, p := range urlParams {
		if !strings.Contains(lines[i], p.field) {
			t.Errorf("ParseURL's doc: line %q does not name the field %s", lines[i], p.field)
		}
		for _, a := range p.aliases {
			if !strings.Contains(lines[i], "also "+a) {
				t.Errorf("ParseURL's doc: line %q does not give the alias %s", lines[i], a)
			}
		}
	}

	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range urlParams {
		for _, n := range append([]string{p.name}, p.aliases...) {
			if !strings.Contains(string(readme), "`"+n+"`") {
				t.Errorf("README.md does not name the URL parameter `%s`", n)
			}
		}
	}
}

// TestURLParamsSetTheirField sets each parameter of the table to a sample
// value and checks that it changes the field the table names, and nothing
// else.
func TestURLParamsSetTheirField(t *testing.T) {
	t.Setenv("ZAPSINK_TEST_PARAM_PASSWORD", "pw")
	samples := map[string]string{
		"bootstrapServers": "b:1", "topic": "t", "batchSizeLimit": "7", "period": "2s",
		"queueLimit": "9", "queueByteLimit": "1000", "eagerlyEmitFirstEvent": "false",
		"overflowPolicy": "block", "blockTimeout": "3s", "maxEntryBytes": "10", "maxBatchBytes": "20",
		"maxInFlight": "2", "shedLevel": "error", "shedThreshold": "0.5", "compression": "zstd",
		"acks": "leader", "retryTimeLimit": "1m", "minBackoff": "1ms", "maxBackoff": "1s",
		"writeTimeout": "4s", "dialTimeout": "5s", "syncTimeout": "6s", "clientId": "svc",
		"securityProtocol": "ssl", "saslMechanism": "scramsha512", "saslUsername": "u",
		"saslPassword": "p", "saslPasswordEnv": "ZAPSINK_TEST_PARAM_PASSWORD", "sslCaLocation": "ca.pem",
		"levelKey": "severity", "formatter": "serilog",
		"spoolDir": "/var/spool/app", "spoolByteLimit": "1073741824", "spoolInterval": "5ms", "spoolSync": "always",
	}
	for _, p := range urlParams {
		t.Run(p.name, func(t *testing.T) {
			v, ok := samples[p.name]
			if !ok {
				t.Fatalf("no sample value for %s: add one to this test", p.name)
			}
			var c URLConfig
			if err := p.set(&c, v); err != nil {
				t.Fatalf("set(%q): %v", v, err)
			}
			var changed []string
			for _, s := range []reflect.Value{reflect.ValueOf(c.Sink), reflect.ValueOf(c)} {
				for i := range s.NumField() {
					if f := s.Type().Field(i); f.Name != "Sink" && !s.Field(i).IsZero() {
						changed = append(changed, f.Name)
					}
				}
			}
			if want := []string{p.field}; !slices.Equal(changed, want) {
				t.Errorf("%s=%s changed the fields %v, want %v", p.name, v, changed, want)
			}
		})
	}
}

func TestParamFor(t *testing.T) {
	for _, tt := range []struct{ field, want string }{
		{"Brokers[1]", "the hosts or bootstrapServers"},
		{"Topic", "the path or topic"},
		{"SASLUsername", "the user or saslUsername"},
		{"SASLPassword", "the password, saslPassword or saslPasswordEnv"},
		{"RequiredAcks", "acks"},
		{"ClientID", "clientId"},
		{"DelayFirstEntry", "eagerlyEmitFirstEvent"},
		{"SSLCALocation", "sslCaLocation"},
		{"Headers[0]", ""}, // no URL sets it
		{"SASL", ""},
	} {
		if got := paramFor(tt.field); got != tt.want {
			t.Errorf("paramFor(%q) = %q, want %q", tt.field, got, tt.want)
		}
	}
}
