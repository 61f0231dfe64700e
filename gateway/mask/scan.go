package mask

import "fmt"

// minCardDigits is the fewest digits of a payment card number: a shorter
// digit run cannot hold one, so the card detector is not triggered.
const minCardDigits = 13

// prefilter decides in one pass which detectors could match a value.
type prefilter struct {
	keywords *automaton
	card     int // index of the card detector, triggered by digit runs; -1 if none
}

// newPrefilter builds the prefilter for detectors ds.
func newPrefilter(ds []detector) (prefilter, error) {
	if len(ds) > maxDetectors {
		return prefilter{}, fmt.Errorf("%d detectors, more than %d", len(ds), maxDetectors)
	}
	var keywords []string
	var owners []int
	p := prefilter{card: -1}
	for i, d := range ds {
		if d.digitRun {
			p.card = i
		}
		for _, kw := range d.keywords {
			keywords = append(keywords, kw)
			owners = append(owners, i)
		}
	}
	a, err := newAutomaton(keywords, owners)
	if err != nil {
		return prefilter{}, fmt.Errorf("build keyword automaton: %w", err)
	}
	p.keywords = a
	return p, nil
}

// Byte classes for counting digit runs.
const (
	other     = iota
	digit     // 0-9
	separator // may split digit groups
	word      // a letter or _: digits after it are part of a word
	dot       // after a digit, starts a fraction
)

var digitClass = func() (c [256]uint8) {
	for b := range c {
		switch {
		case isDigit(byte(b)):
			c[b] = digit
		case b == ' ' || b == '-':
			c[b] = separator
		case isWord(byte(b)):
			c[b] = word
		case b == '.':
			c[b] = dot
		}
	}
	return c
}()

// inWord marks a digit run that started inside a word (like the tail of a
// UUID) or a fraction: it cannot reach minCardDigits before a separator
// resets it.
const inWord = -1 << 30

// scan returns the detectors whose trigger appears in v: a keyword, or for
// the card detector a run of minCardDigits digits that starts outside a
// word and in which single spaces or dashes may split groups. Both are
// supersets of what the detectors accept. It never allocates.
func scan[T string | []byte](p *prefilter, v T) set {
	var hits set
	a := p.keywords
	row, run, sep := 0, 0, false
	for i := 0; i < len(v); i++ {
		b := v[i]
		e := a.next[row+int(a.class[b])]
		row = int(e >> 1)
		if e&1 != 0 {
			hits.union(&a.sets[a.out[row/a.stride]])
		}
		switch digitClass[b] {
		case digit:
			run++
			sep = false
			if run == minCardDigits && p.card >= 0 {
				hits.add(p.card)
			}
		case separator:
			if sep || run <= 0 {
				run = 0
			}
			sep = true
		case word:
			run, sep = inWord, false
		case dot:
			if run <= 0 || sep {
				run = 0
			} else {
				run = inWord
			}
			sep = false
		default:
			run, sep = 0, false
		}
	}
	return hits
}
