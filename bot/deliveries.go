package bot

import (
	"context"
	"errors"
	"strings"
)

// errNoTrigger: a delivery without a trigger ID cannot be told apart from
// its repeats, so it is not acted on.
var errNoTrigger = errors.New("delivery without a trigger id")

// deliveryKey names one delivery for de-duplication: its kind, Slack's
// trigger ID (the same in every retry of it), and what else tells deliveries
// of one trigger apart. An empty trigger makes an empty key.
func deliveryKey(kind, trigger string, more ...string) string {
	if trigger == "" {
		return ""
	}
	return strings.Join(append([]string{kind, trigger}, more...), ":")
}

// claim reports whether this is the first arrival of the delivery key, on
// any replica; a delivery without a key is refused.
func (b *Bot) claim(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, errNoTrigger
	}
	return b.store.ClaimDelivery(ctx, key, b.cfg.Now())
}
