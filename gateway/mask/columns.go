package mask

import (
	"fmt"
	"path"
	"strings"
)

// columnRules are lowered path.Match globs over column names.
type columnRules []string

func newColumnRules(globs []string) (columnRules, error) {
	rules := make(columnRules, 0, len(globs))
	for _, g := range globs {
		g = strings.ToLower(g)
		// Match checks the whole pattern's syntax whatever the name.
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("column rule %q: %w", g, err)
		}
		rules = append(rules, g)
	}
	return rules, nil
}

func (r columnRules) match(name string) bool {
	name = strings.ToLower(name)
	for _, g := range r {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}
