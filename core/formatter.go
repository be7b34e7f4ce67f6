package core

import (
	"fmt"
	"strings"
)

// ParseFormatter returns the formatter named by name, ignoring case, as
// the zap URL sink's formatter parameter names it:
//
//	"json" or ""  nil: the logger's own JSON, unchanged (the default)
//	"serilog"     SerilogJSON{}: Serilog's JsonFormatter(renderMessage: true)
//	"clef"        CLEF{}: Serilog's compact format
//
// Both Serilog shapes read zap's, zerolog's and slog's default JSON; use
// their Fields for other field names.
func ParseFormatter(name string) (Formatter, error) {
	switch strings.ToLower(name) {
	case "json", "":
		return nil, nil
	case "serilog":
		return SerilogJSON{}, nil
	case "clef":
		return CLEF{}, nil
	}
	return nil, fmt.Errorf("unknown formatter %q (want json, serilog or clef)", name)
}
