package bot

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jitgate/jitgate/grants"
)

func TestRenderNamesTheConfiguredCommand(t *testing.T) {
	st := fixtureState("INC-1 look")
	st.Request.Status = grants.RequestTimedOut
	st.Command = "/jit"
	dm := renderOutcomeDM(st, nil)
	require.Contains(t, dm.Text, "`/jit`")

	ended := fixtureGrant()
	ended.Status = grants.GrantExpired
	raw, err := json.Marshal(extendModal(ended, renderNow.Add(time.Hour), "/jit"))
	require.NoError(t, err)
	require.Contains(t, string(raw), "`/jit`")
	require.NotContains(t, string(raw), "/access")
}
