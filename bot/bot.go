package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/jitgate/jitgate/grants"
)

// Resource is what the bot needs to know of one configured resource.
type Resource struct {
	Name        string
	Kind        string // "postgres" or "ssh"
	Channel     string // where its requests are reviewed
	Reviewers   []string
	MaxDuration time.Duration
}

// Config is everything a Bot is built from.
type Config struct {
	// API is the Slack Web API client; NewAPI builds one that retries.
	API       *slack.Client
	Store     *grants.Store
	Resources []Resource
	// Command is the slash command, "/access".
	Command string
	// SigningSecret verifies HTTP-mode deliveries.
	SigningSecret string
	// Gateways maps a resource kind to the host:port people connect to.
	Gateways map[string]string
	Now      func() time.Time
	Log      *slog.Logger
}

// Bot is jitgate in Slack.
type Bot struct {
	cfg       Config
	log       *slog.Logger
	store     *grants.Store
	resources map[string]Resource
	names     []string // resource names in configuration order
	people    *directory
	// work tracks what runs after a delivery was acknowledged.
	work sync.WaitGroup
}

// New checks cfg and returns a Bot.
func New(cfg Config) (*Bot, error) {
	if cfg.API == nil || cfg.Store == nil {
		return nil, errors.New("bot: API and Store are required")
	}
	if cfg.Command == "" {
		cfg.Command = "/access"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	b := &Bot{
		cfg: cfg, log: cfg.Log, store: cfg.Store,
		resources: make(map[string]Resource, len(cfg.Resources)),
		people:    newDirectory(cfg.API, cfg.Store, cfg.Now),
	}
	for _, r := range cfg.Resources {
		if r.Channel == "" {
			return nil, fmt.Errorf("bot: resource %s has no channel", r.Name)
		}
		b.resources[r.Name] = r
		b.names = append(b.names, r.Name)
	}
	return b, nil
}

// NewAPI returns a Slack Web API client for token. apiURL, when set,
// replaces Slack's base URL (the fake Slack in tests and the demo). Rate
// limits (honouring Retry-After), server errors and broken connections are
// retried with backoff; a state change is never lost either way, since the
// feed retries a notification until it is told. timeout bounds each
// attempt; 0 means ten seconds.
func NewAPI(token, appToken, apiURL string, timeout time.Duration) *slack.Client {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	retry := slack.DefaultRetryConfig()
	retry.MaxRetries = 4
	retry.RetryAfterDuration = 5 * time.Second
	retry.BackoffMax = 5 * time.Second
	retry.Handlers = append(slack.AllBuiltinRetryHandlers(retry), slack.NewServerErrorRetryHandler(retry))
	opts := []slack.Option{
		slack.OptionHTTPClient(&http.Client{Timeout: timeout}),
		slack.OptionRetryConfig(retry),
	}
	if appToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(appToken))
	}
	if apiURL != "" {
		opts = append(opts, slack.OptionAPIURL(strings.TrimSuffix(apiURL, "/")+"/"))
	}
	return slack.New(token, opts...)
}

// HTTPHandler serves Slack's HTTP mode under /slack/.
func (b *Bot) HTTPHandler() http.Handler {
	return newHTTPHandler(b, b.cfg.SigningSecret, b.cfg.Now, b.log)
}

// RunSocketMode receives deliveries over Socket Mode until ctx ends.
func (b *Bot) RunSocketMode(ctx context.Context) error {
	err := runSocketMode(ctx, b.cfg.API, b, b.log)
	b.work.Wait()
	return err
}

// Wait returns once the work started by earlier deliveries is done.
func (b *Bot) Wait() { b.work.Wait() }

// later runs fn after the delivery was acknowledged, with a bounded
// context of its own: the delivery's context ends with the ack.
func (b *Bot) later(fn func(ctx context.Context)) {
	b.work.Add(1)
	go func() {
		defer b.work.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		fn(ctx)
	}()
}

func (b *Bot) resource(name string) (Resource, bool) {
	r, ok := b.resources[name]
	return r, ok
}
