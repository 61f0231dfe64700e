package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
)

// Secret is a credential read from the configuration. Every way of printing
// or encoding it shows "[redacted]" (or nothing when it is empty, so a
// missing secret is still visible), so a Config can be logged or dumped
// whole; only Reveal gives the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value, for handing to the system that needs it.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) masked() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String implements fmt.Stringer.
func (s Secret) String() string { return s.masked() }

// GoString implements fmt.GoStringer, for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("%q", s.masked()) }

// Format implements fmt.Formatter. Without it fmt would print the raw
// string for verbs a Stringer does not cover, such as %d's error text.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = io.WriteString(f, s.GoString())
		return
	}
	if verb == 'q' {
		_, _ = fmt.Fprintf(f, "%q", s.masked())
		return
	}
	_, _ = io.WriteString(f, s.masked())
}

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.masked()) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.masked()) }

// MarshalText implements encoding.TextMarshaler, which YAML, XML and other
// encoders use.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.masked()), nil }
