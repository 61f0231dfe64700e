package mask

// maxCardDigits is the most digits a payment card number has.
const maxCardDigits = 19

// cardDetector finds payment card numbers: 13 to 19 digits, ungrouped or in
// groups split by single spaces or dashes, with a known network prefix and a
// valid Luhn check digit. The prefix check keeps epoch milliseconds and
// other long numbers from being masked one time in ten.
func cardDetector() detector {
	return detector{name: "card", digitRun: true, find: findCards}
}

// group is a run of digits v[start:end]; starred when it holds a '*'.
type group struct {
	start, end int
	starred    bool
}

// findCards reads runs of groups of digits and stars. A masked card keeps
// its grouping and shape, so its stars must count as group bytes: masking
// the output again then reads the same runs and finds nothing new.
func findCards(v []byte, _ []int, fs []finding) []finding {
	for i := 0; i < len(v); {
		if !inGroup(v[i]) {
			i++
			continue
		}
		if !cardStart(v, i) {
			for i < len(v) && inGroup(v[i]) {
				i++
			}
			continue
		}
		var buf [maxCardDigits + 1]group
		groups, end := digitGroups(v, i, buf[:0])
		if cardEnd(v, end) {
			fs = cardsIn(v, groups, fs)
		}
		i = end
	}
	return fs
}

func inGroup(b byte) bool { return isDigit(b) || b == '*' }

// cardStart reports whether a number may start at v[i]: not inside a word
// and not the fraction of a decimal number.
func cardStart(v []byte, i int) bool {
	if i == 0 {
		return true
	}
	p := v[i-1]
	return !isWord(p) && !(p == '.' && i >= 2 && isDigit(v[i-2]))
}

// cardEnd reports whether a number may end at v[end].
func cardEnd(v []byte, end int) bool {
	return end == len(v) || !isWord(v[end]) && !(v[end] == '.' && end+1 < len(v) && isDigit(v[end+1]))
}

// digitGroups reads groups from v[i] on, split by single separators of one
// kind (the first one seen), and returns them and where they end. It stops
// early once there are more groups than a card can have, so a run never
// takes more room than buf.
func digitGroups(v []byte, i int, groups []group) ([]group, int) {
	var sep byte
	for {
		g := group{start: i}
		for i < len(v) && inGroup(v[i]) {
			g.starred = g.starred || v[i] == '*'
			i++
		}
		g.end = i
		groups = append(groups, g)
		if len(groups) == cap(groups) || i+1 >= len(v) || !inGroup(v[i+1]) {
			return groups, i
		}
		if s := v[i]; (s == ' ' || s == '-') && (sep == 0 || s == sep) {
			sep = s
			i++
			continue
		}
		return groups, i
	}
}

// cardsIn finds cards made of consecutive groups: the leftmost, longest
// window of groups that checks out as a card number, then again after it.
// A window holds no starred group and does not start right after one: the
// group after a masked card's stars is its kept last four digits.
func cardsIn(v []byte, groups []group, fs []finding) []finding {
	for j := 0; j < len(groups); j++ {
		if j > 0 && groups[j-1].starred {
			continue
		}
		for k := len(groups) - 1; k >= j; k-- {
			if isCard(v, groups[j:k+1]) {
				fs = append(fs, finding{start: groups[j].start, end: groups[k].end, card: true})
				j = k
				break
			}
		}
	}
	return fs
}

func isCard(v []byte, groups []group) bool {
	var digits [maxCardDigits]byte
	n := 0
	for _, g := range groups {
		if g.starred || n+g.end-g.start > maxCardDigits {
			return false
		}
		n += copy(digits[n:], v[g.start:g.end])
	}
	return n >= minCardDigits && network(digits[:n]) && luhn(digits[:n])
}

// luhn reports whether the last digit of d is its Luhn check digit.
func luhn(d []byte) bool {
	sum := 0
	for i := range d {
		x := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
	}
	return sum%10 == 0
}

// appendCard appends the card number c with every digit but the last four
// replaced by '*', separators kept.
func appendCard(dst, c []byte) []byte {
	digits := 0
	for _, b := range c {
		if isDigit(b) {
			digits++
		}
	}
	for _, b := range c {
		if isDigit(b) {
			digits--
			if digits >= 4 {
				b = '*'
			}
		}
		dst = append(dst, b)
	}
	return dst
}
