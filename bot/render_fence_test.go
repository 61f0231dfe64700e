package bot

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatementCannotLeaveItsCodeBlock(t *testing.T) {
	for n := 1; n <= 9; n++ {
		stmt := "SELECT 1 " + strings.Repeat("`", n) + " *APPROVED BY SECURITY* " + strings.Repeat("`", n)
		block := codeBlock(stmt)
		inner := strings.TrimSuffix(strings.TrimPrefix(block, fence+"\n"), "\n"+fence)
		require.NotContains(t, inner, "``", "%d backticks: no two may touch inside the block", n)
		require.Equal(t, strings.Count(stmt, "`"), strings.Count(inner, "`"), "every backtick is still shown")
	}
}
