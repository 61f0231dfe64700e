package bot

import (
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

// modalInputIDs lists a modal's input blocks as block ID => action ID.
func modalInputIDs(t *testing.T, m slack.ModalViewRequest) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, b := range m.Blocks.BlockSet {
		in, ok := b.(*slack.InputBlock)
		if !ok {
			continue
		}
		require.False(t, in.Optional, "input %s is required", in.BlockID)
		switch el := in.Element.(type) {
		case *slack.SelectBlockElement:
			out[in.BlockID] = el.ActionID
		case *slack.RadioButtonsBlockElement:
			out[in.BlockID] = el.ActionID
		case *slack.PlainTextInputBlockElement:
			out[in.BlockID] = el.ActionID
		default:
			t.Fatalf("unexpected element %T in %s", el, in.BlockID)
		}
	}
	return out
}

func sameIDs(ids ...string) map[string]string {
	out := map[string]string{}
	for _, id := range ids {
		out[id] = id
	}
	return out
}

func TestRenderModalsCarryTheContract(t *testing.T) {
	g := fixtureGrant()
	for _, tc := range []struct {
		name     string
		modal    slack.ModalViewRequest
		callback string
		metadata string
		inputs   map[string]string
	}{
		{"request", requestModal([]resourceChoice{{Name: "prod-db", Kind: "postgres", MaxDuration: time.Hour}}), viewRequest, "",
			sameIDs(inputResource, inputAccess, inputDuration, inputReason)},
		{"deny", denyModal(renderRequestID), viewDeny, renderRequestID.String(), sameIDs(inputReason)},
		{"extend", extendModal(g, renderNow, "/access"), viewExtend, g.ID.String(), sameIDs(inputDuration, inputReason)},
		{"revoke", revokeModal(g), viewRevoke, g.ID.String(), sameIDs(inputReason)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, slack.VTModal, tc.modal.Type)
			require.Equal(t, tc.callback, tc.modal.CallbackID)
			require.Equal(t, tc.metadata, tc.modal.PrivateMetadata)
			require.Equal(t, tc.inputs, modalInputIDs(t, tc.modal))
			require.NotNil(t, tc.modal.Submit)
			require.LessOrEqual(t, len([]rune(tc.modal.Title.Text)), 24, "Slack's limit on modal titles")
		})
	}
}

func TestRenderModalsWithNothingToChoose(t *testing.T) {
	atCap := fixtureGrant()
	atCap.MaxExpiresAt = atCap.ExpiresAt
	ended := fixtureGrant()
	ended.Status = grants.GrantRevoked
	for name, m := range map[string]slack.ModalViewRequest{
		"no resources":   requestModal(nil),
		"no durations":   requestModal([]resourceChoice{{Name: "prod-db", Kind: "postgres"}}),
		"grant at cap":   extendModal(atCap, renderNow, "/access"),
		"grant ended":    extendModal(ended, renderNow, "/access"),
		"grant past end": extendModal(fixtureGrant(), renderNow.Add(3*time.Hour), "/access"),
	} {
		require.Nil(t, m.Submit, "%s: nothing to submit", name)
		require.Empty(t, modalInputIDs(t, m), "%s: no inputs", name)
		require.Len(t, m.Blocks.BlockSet, 1, "%s: one line saying why", name)
	}
}

func TestRenderRequestModalDurationsReachTheLongestMax(t *testing.T) {
	m := requestModal([]resourceChoice{
		{Name: "a", Kind: "postgres", MaxDuration: time.Hour},
		{Name: "b", Kind: "ssh", MaxDuration: 3 * time.Hour},
	})
	var values []string
	for _, b := range m.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID == inputDuration {
			for _, o := range in.Element.(*slack.SelectBlockElement).Options {
				d, err := time.ParseDuration(o.Value)
				require.NoError(t, err, "values parse back with time.ParseDuration")
				values = append(values, formatDuration(d))
			}
		}
	}
	require.Equal(t, []string{"15m", "30m", "1h", "2h", "3h"}, values)
}
