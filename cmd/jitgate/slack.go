package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jitgate/jitgate/bot"
	"github.com/jitgate/jitgate/broker"
	"github.com/jitgate/jitgate/grants"
	"github.com/jitgate/jitgate/internal/config"
)

// chat is what `serve` runs for Slack: the bot, the feed that tells it
// every change, and, in HTTP mode, the handler Slack calls.
type chat struct {
	services []service
	handler  http.Handler // nil unless slack.mode is http
	reviewer broker.StatementReviewer
}

// slackChat assembles the Slack side, or nothing when slack.mode is off.
func slackChat(cfg *config.Config, pool *pgxpool.Pool, log *slog.Logger) (chat, error) {
	s := cfg.Slack
	if s.Mode == config.SlackOff {
		return chat{}, nil
	}
	log = log.With("slack", string(s.Mode))
	store := grants.NewStore(pool, cfg)
	b, err := bot.New(bot.Config{
		API:           bot.NewAPI(s.BotToken.Reveal(), s.AppToken.Reveal(), s.APIURL, 0),
		Store:         store,
		Resources:     botResources(cfg.Resources),
		Command:       s.Command,
		SigningSecret: s.SigningSecret.Reveal(),
		Gateways: map[string]string{
			string(config.KindPostgres): cfg.Gateway.Postgres.Listen,
			string(config.KindSSH):      cfg.Gateway.SSH.Listen,
		},
		Now: time.Now,
		Log: log,
	})
	if err != nil {
		return chat{}, err
	}
	feed := broker.NewFeed(pool, cfg, "slack", b, log)
	c := chat{
		services: []service{func(ctx context.Context) error { feed.Run(ctx); return nil }},
		reviewer: broker.NewStatements(store, time.Now, log),
	}
	if s.Mode == config.SlackSocket {
		c.services = append(c.services, b.RunSocketMode)
	} else {
		c.handler = b.HTTPHandler()
		c.services = append(c.services, func(ctx context.Context) error { <-ctx.Done(); b.Wait(); return nil })
	}
	return c, nil
}

func botResources(rs []config.Resource) []bot.Resource {
	out := make([]bot.Resource, 0, len(rs))
	for _, r := range rs {
		out = append(out, bot.Resource{
			Name: r.Name, Kind: string(r.Kind), Channel: r.Channel,
			Reviewers: r.Reviewers, MaxDuration: r.MaxDuration,
		})
	}
	return out
}
