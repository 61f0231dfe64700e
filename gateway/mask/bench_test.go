package mask

import (
	"strings"
	"testing"
)

// prose is clean English of the kind found in comments and messages; it
// contains some keywords (ask, key) that trigger a detector that then finds
// nothing.
var prose = strings.Repeat("The on-call engineer asked for read access to the orders database "+
	"to look into a failed nightly job; the reviewer approved it for two hours. ", 28)

var benchValues = []struct{ name, v string }{
	{"clean-short", "alice"},
	{"clean-int", "48213"},
	{"clean-timestamp", "2024-01-15 10:20:30.123456+00"},
	{"clean-uuid", "550e8400-e29b-41d4-a716-446655440000"},
	{"clean-long", strings.Repeat("lorem ipsum dolor sit amet consectetur adipiscing elit ", 75)},
	{"clean-prose", prose},
	{"with-secret", "dsn host=db user=app password=hunter2 sslmode=require"},
	{"token", "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"},
	{"email", "john.doe@example.com"},
	{"card", "4111 1111 1111 1111"},
	{"long-with-secret", prose + " AKIAIOSFODNN7EXAMPLE"},
}

func BenchmarkAppend(b *testing.B) {
	m := newTestMasker(b)
	benchAppend(b, m)
}

// BenchmarkAppendOwn measures the package's own detectors without gitleaks'.
func BenchmarkAppendOwn(b *testing.B) {
	m, err := New(nil, WithoutGitleaks())
	if err != nil {
		b.Fatal(err)
	}
	benchAppend(b, m)
}

func benchAppend(b *testing.B, m *Masker) {
	for _, bv := range benchValues {
		b.Run(bv.name, func(b *testing.B) {
			v := []byte(bv.v)
			dst := make([]byte, 0, 2*len(v)+64)
			b.SetBytes(int64(len(v)))
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = m.Append(dst[:0], v)
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New([]string{"password"}); err != nil {
			b.Fatal(err)
		}
	}
}
