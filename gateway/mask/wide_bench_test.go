package mask

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"testing"
)

// wideRow mirrors a row of the gateway's wide table (SELECT * FROM wide):
// five short text columns, an md5 hex string, an email address, a short
// phrase with a number, 'nothing here' or, in one row in ten, a GitHub
// token, and a run of one letter.
func wideRow(n int, token bool) [][]byte {
	sum := md5.Sum([]byte(fmt.Sprint(n)))
	fourth := "nothing here"
	if token {
		fourth = "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"
	}
	return [][]byte{
		[]byte(hex.EncodeToString(sum[:])),
		fmt.Appendf(nil, "user%d@example.com", n),
		fmt.Appendf(nil, "plain text number %d", n),
		[]byte(fourth),
		[]byte("yyyyyyyyyyyyyyyyyyyy"),
	}
}

// BenchmarkAppendWideRow masks the five columns of one row per iteration:
// clean (no secret, one email), token (the row also holds a GitHub token)
// and mix (ten rows in turn, one of them with a token, as in the table).
func BenchmarkAppendWideRow(b *testing.B) {
	m := newTestMasker(b)
	var mix [][][]byte
	for n := range 10 {
		mix = append(mix, wideRow(48210+n, n == 3))
	}
	for _, bc := range []struct {
		name string
		rows [][][]byte
	}{
		{"clean", [][][]byte{wideRow(48213, false)}},
		{"token", [][][]byte{wideRow(48213, true)}},
		{"mix", mix},
	} {
		b.Run(bc.name, func(b *testing.B) {
			size := 0
			for _, col := range bc.rows[0] {
				size += len(col)
			}
			b.SetBytes(int64(size))
			b.ReportAllocs()
			dst := make([]byte, 0, 256)
			i := 0
			for b.Loop() {
				for _, col := range bc.rows[i] {
					dst, _ = m.Append(dst[:0], col)
				}
				if i++; i == len(bc.rows) {
					i = 0
				}
			}
		})
	}
}
