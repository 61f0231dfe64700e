package mask

import "bytes"

// emailDetector masks the local part of email addresses and keeps the
// domain, which tells a reader whose address it was (a customer, a
// colleague) without naming anyone. It is hand-written: the '@' keyword
// fires on many values and a regular expression is much slower here. Its
// keyword positions are the '@' signs.
func emailDetector() detector {
	return detector{name: "email", keywords: []string{"@"}, find: findEmails, alone: appendEmails}
}

func findEmails(v []byte, ats []int, fs []finding) []finding {
	for _, at := range ats {
		if start, ok := emailAt(v, at); ok {
			fs = append(fs, finding{start: start, end: at, repl: emailRepl})
		}
	}
	return fs
}

const emailRepl = "***"

// emailAt reports whether the '@' at v[at] is an address's, and where its
// local part starts.
func emailAt(v []byte, at int) (int, bool) {
	start := at
	for start > 0 && isLocal(v[start-1]) {
		start--
	}
	for start < at && v[start] == '.' {
		start++
	}
	return start, start < at && isDomain(v[at+1:])
}

// appendEmails is mask for a value in which only the email detector was
// triggered, the commonest finding, without its working memory: the
// findings of findEmails are ordered and disjoint (a local part cannot
// reach back past an '@'), so clean would leave them as they are and they
// can be written as they are found.
func appendEmails(dst, v []byte) ([]byte, bool) {
	last, found := 0, false
	for from := 0; ; {
		i := bytes.IndexByte(v[from:], '@')
		if i < 0 {
			break
		}
		at := from + i
		if start, ok := emailAt(v, at); ok {
			dst = append(dst, v[last:start]...)
			dst = append(dst, emailRepl...)
			last, found = at, true
		}
		from = at + 1
	}
	return append(dst, v[last:]...), found
}

// isLocal reports whether b may be part of the local part of an address.
// Fewer bytes than RFC 5322 allows: enough for real addresses, and '*' is
// left out so that a masked address is not found again.
func isLocal(b byte) bool {
	return isWord(b) || b == '.' || b == '%' || b == '+' || b == '-'
}

// isDomain reports whether v starts with a domain of at least two labels
// whose last label, the top-level domain, is two or more letters.
func isDomain(v []byte) bool {
	labels, i := 0, 0
	for {
		start, letters := i, true
		for i < len(v) && (isWord(v[i]) && v[i] != '_' || v[i] == '-') {
			letters = letters && !isDigit(v[i]) && v[i] != '-'
			i++
		}
		if i == start {
			return false
		}
		labels++
		if i+1 < len(v) && v[i] == '.' && (isWord(v[i+1]) && v[i+1] != '_' || v[i+1] == '-') {
			i++
			continue
		}
		return labels >= 2 && letters && i-start >= 2
	}
}
