package pg

import (
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
	"github.com/jitgate/jitgate/internal/config"
	"github.com/jitgate/jitgate/internal/fakeclock"
)

// planSession is a session with only what building plans needs, and a
// catalog that already knows table 16400: (1 id, 2 password, 3 abalance).
func planSession(tb testing.TB, clock gateway.Clock) *session {
	m, err := mask.New([]string{"password"}, mask.WithoutGitleaks())
	require.NoError(tb, err)
	cat := newCatalog(config.Resource{Name: "prod-db"}, m, classify.New(classify.Options{}), clock, time.Minute, slog.Default())
	cat.store(map[uint32]relation{16400: {expires: clock.Now().Add(time.Minute), cols: map[int16]colSource{
		1: {}, 2: {masked: true}, 3: {},
	}}})
	srv := &Server{cfg: Config{Masker: m, Clock: clock}}
	return &session{srv: srv, cat: cat, plans: newPlans()}
}

func rowDescription(fields ...pgproto3.FieldDescription) []byte {
	msg, _ := (&pgproto3.RowDescription{Fields: fields}).Encode(nil)
	return msg
}

func TestPlanFollowsSourceAndExpires(t *testing.T) {
	t.Parallel()
	clock := fakeclock.New(time.Now())
	s := planSession(t, clock)
	msg := rowDescription(
		pgproto3.FieldDescription{Name: []byte("pw"), TableOID: 16400, TableAttributeNumber: 2, DataTypeOID: oidText},
		pgproto3.FieldDescription{Name: []byte("n"), TableOID: 16400, TableAttributeNumber: 3, DataTypeOID: oidText},
		pgproto3.FieldDescription{Name: []byte("x"), DataTypeOID: oidText},
		pgproto3.FieldDescription{Name: []byte("gone"), TableOID: 16400, TableAttributeNumber: 9, DataTypeOID: oidText},
	)
	p, _, err := s.planFor(msg)
	require.NoError(t, err)
	var got []colAction
	for _, c := range p.cols {
		got = append(got, c.action)
	}
	require.Equal(t, []colAction{colWhole, colDetect, colDetect, colWhole}, got, "an unknown column is masked")
	again, _, err := s.planFor(msg)
	require.NoError(t, err)
	require.Same(t, p, again, "kept while its sources are fresh")
	clock.Advance(time.Minute)
	s.cat.store(map[uint32]relation{16400: {expires: clock.Now().Add(time.Minute), cols: map[int16]colSource{3: {masked: true}}}})
	later, _, err := s.planFor(msg)
	require.NoError(t, err)
	require.NotSame(t, p, later, "rebuilt once they expired")
	require.Equal(t, colWhole, later.cols[1].action)

	plain := rowDescription(pgproto3.FieldDescription{Name: []byte("x"), DataTypeOID: oidText})
	p, _, err = s.planFor(plain)
	require.NoError(t, err)
	require.True(t, p.expires.IsZero(), "a result from no table needs no catalog")
}

// BenchmarkPlanForRepeatedDescription is the per-statement cost of the
// plan of a result shape seen before, as for pgbench -S.
func BenchmarkPlanForRepeatedDescription(b *testing.B) {
	msg := rowDescription(pgproto3.FieldDescription{Name: []byte("abalance"), TableOID: 16400, TableAttributeNumber: 3, DataTypeOID: 23, DataTypeSize: 4, TypeModifier: -1})
	for _, withRules := range []bool{false, true} {
		name := "no catalog"
		if withRules {
			name = "catalog"
		}
		b.Run(name, func(b *testing.B) {
			s := planSession(b, gateway.RealClock{})
			if !withRules {
				s.cat = nil
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.planFor(msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
