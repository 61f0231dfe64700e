package config

import (
	"errors"
	"strings"
)

// errBadReference is worded for an operator; it never quotes the value, which
// may be a secret.
var errBadReference = errors.New("${ must be followed by a variable name and } (write $${ for a literal ${)")

// expand replaces each ${NAME} in s with the variable's value and returns the
// names that were not set, so a required value that came out empty can say
// why. Only ${NAME} expands: a lone $ is kept because passwords contain it,
// and $${ is a literal ${. Values are substituted once, never re-expanded.
func expand(s string, lookupEnv func(string) (string, bool)) (string, []string, error) {
	if !strings.Contains(s, "${") {
		return s, nil, nil
	}
	var b strings.Builder
	var unset []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), unset, nil
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1] + "${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		name, rest, ok := strings.Cut(s[i+2:], "}")
		if !ok || !isVarName(name) {
			return "", nil, errBadReference
		}
		value, found := lookupEnv(name)
		if !found {
			unset = append(unset, name)
		}
		b.WriteString(value)
		s = rest
	}
}

// isVarName reports whether name is a portable environment variable name.
func isVarName(name string) bool {
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	for _, r := range name {
		if r != '_' && (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
