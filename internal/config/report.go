package config

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// report collects problems in the order they are found, with what the
// decoder learnt about where each value came from, so a message about an
// empty value can name the ${NAME} that was not set.
type report struct {
	// set holds the key paths given a value in the file.
	set map[string]bool
	// unset holds, per key path, the ${NAME} references that were not set.
	unset map[string][]string
	msgs  []string
}

func newReport() *report {
	return &report{set: map[string]bool{}, unset: map[string][]string{}}
}

// add records a problem at path. Callers quote values with %q, which keeps
// the message on one line; they never pass a secret's value.
func (r *report) add(path, format string, args ...any) {
	where := path
	if where == "" {
		where = "top level"
	}
	msg := where + ": " + fmt.Sprintf(format, args...)
	if names := r.unset[path]; len(names) > 0 {
		msg += " (" + unsetNote(names) + ")"
	}
	r.msgs = append(r.msgs, msg)
}

func unsetNote(names []string) string {
	refs := make([]string, len(names))
	for i, n := range names {
		refs[i] = "${" + n + "}"
	}
	if len(refs) == 1 {
		return refs[0] + " is not set"
	}
	return strings.Join(refs, ", ") + " are not set"
}

// err joins every problem into one line: operators fix them all in one pass
// and log lines stay whole.
func (r *report) err() error {
	if len(r.msgs) == 0 {
		return nil
	}
	return errors.New(oneLine(strings.Join(r.msgs, "; ")))
}

// oneLine is the last guard for messages that quote text we did not write,
// such as the YAML parser's.
func oneLine(s string) string {
	return lineBreaks.Replace(s)
}

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

var plainKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// join names key inside path the way an operator would write it.
func join(path, key string) string {
	if !plainKey.MatchString(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// index names the i-th item of the list at path.
func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}
