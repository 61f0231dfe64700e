package pg

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/gateway"
	"github.com/jitgate/jitgate/gateway/auth"
	"github.com/jitgate/jitgate/gateway/mask"
	"github.com/jitgate/jitgate/gateway/pg/classify"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

// TokenVerifier checks the token a client sends as its password and that
// it belongs to the user name the client connected as.
type TokenVerifier interface {
	VerifyFor(ctx context.Context, rawToken, wantEmail string) (auth.Identity, error)
}

// Grants is what the gateway needs of the grants Store.
type Grants interface {
	ActiveGrant(ctx context.Context, email, resource string, now time.Time) (grants.Grant, error)
	StartSession(ctx context.Context, grantID uuid.UUID, protocol, clientAddr string, now time.Time) (grants.Session, error)
	EndSession(ctx context.Context, id uuid.UUID, reason string, now time.Time) error
}

// Config is everything a Server needs; New checks it.
type Config struct {
	Resources      []config.Resource
	TLS            *tls.Config
	AllowPlaintext bool
	Verifier       TokenVerifier
	Grants         Grants
	Registry       *gateway.Registry
	Recorder       *gateway.Recorder
	Masker         *mask.Masker
	Classifier     *classify.Classifier
	// Reviewer decides held statements; nil refuses every held statement.
	Reviewer      broker.StatementReviewer
	ReviewTimeout time.Duration
	Clock         gateway.Clock
	Log           *slog.Logger

	// Limits; zero takes the default.
	HandshakeTimeout time.Duration
	IdleTimeout      time.Duration
	MaxMessage       int
	// CatalogTTL is how long the table column behind a result column is
	// trusted before it is looked up again (a rename shows within it).
	CatalogTTL time.Duration
}

const (
	defaultHandshakeTimeout = 30 * time.Second
	defaultIdleTimeout      = time.Hour
	defaultMaxMessage       = 64 << 20
	defaultReviewTimeout    = 2 * time.Minute
)

// Server is the Postgres gateway.
type Server struct {
	cfg     Config
	cancels cancelMap
	// catalogs, by resource name, tell where result columns come from;
	// there are none when no column rule is set.
	catalogs map[string]*catalog

	conns sync.WaitGroup
}

// New returns a Server, or an error naming what is missing.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.TLS == nil && !cfg.AllowPlaintext:
		return nil, errors.New("postgres gateway: no TLS certificate and plaintext not allowed")
	case cfg.Verifier == nil, cfg.Grants == nil, cfg.Registry == nil, cfg.Recorder == nil, cfg.Masker == nil, cfg.Classifier == nil:
		return nil, errors.New("postgres gateway: verifier, grants, registry, recorder, masker and classifier are all required")
	}
	if cfg.Clock == nil {
		cfg.Clock = gateway.RealClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = defaultHandshakeTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = defaultIdleTimeout
	}
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = defaultMaxMessage
	}
	if cfg.ReviewTimeout <= 0 {
		cfg.ReviewTimeout = defaultReviewTimeout
	}
	if cfg.CatalogTTL <= 0 {
		cfg.CatalogTTL = defaultCatalogTTL
	}
	if cfg.TLS != nil {
		cfg.TLS = cfg.TLS.Clone()
		// Clients that start TLS directly (sslnegotiation=direct) must
		// offer this ALPN protocol.
		cfg.TLS.NextProtos = []string{"postgresql"}
	}
	s := &Server{cfg: cfg, cancels: cancelMap{m: map[uint32]cancelTarget{}}, catalogs: map[string]*catalog{}}
	if cfg.Masker.HasColumnRules() {
		for _, r := range cfg.Resources {
			if r.Kind == config.KindPostgres {
				s.catalogs[r.Name] = newCatalog(r, cfg.Masker, cfg.Classifier, cfg.Clock, cfg.CatalogTTL, cfg.Log)
			}
		}
	}
	return s, nil
}

// resource finds a Postgres resource by the database name a client used.
func (s *Server) resource(name string) (config.Resource, bool) {
	for _, r := range s.cfg.Resources {
		if r.Name == name && r.Kind == config.KindPostgres {
			return r, true
		}
	}
	return config.Resource{}, false
}

// closeCatalogs ends the catalogs' side connections once no session is
// left to use them.
func (s *Server) closeCatalogs() {
	for _, c := range s.catalogs {
		c.close()
	}
}

// Serve accepts connections on ln until ctx ends, then closes the listener
// and waits for the sessions to end (they end with ctx).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer s.closeCatalogs()
	var tempDelay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.conns.Wait()
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				tempDelay = min(max(2*tempDelay, 5*time.Millisecond), time.Second)
				time.Sleep(tempDelay)
				continue
			}
			s.conns.Wait()
			return err
		}
		tempDelay = 0
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			s.handle(ctx, conn)
		}()
	}
}
