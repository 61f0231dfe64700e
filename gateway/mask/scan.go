package mask

import (
	"encoding/binary"
	"fmt"
)

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

// runState is where a scan is in counting a digit run: the run's length
// (inWord, or 0 up to minCardDigits) and whether the last byte was a
// separator.
type runState struct {
	run int
	sep bool
}

// step is the rule of digit runs, one byte of class c at a time; it returns
// the next state and whether the run reached minCardDigits.
func (s runState) step(c uint8) (runState, bool) {
	switch c {
	case digit:
		s.run++
		s.sep = false
		return s, s.run == minCardDigits
	case separator:
		if s.sep || s.run <= 0 {
			s.run = 0
		}
		s.sep = true
	case word:
		s.run, s.sep = inWord, false
	case dot:
		if s.run <= 0 || s.sep {
			s.run = 0
		} else {
			s.run = inWord
		}
		s.sep = false
	default:
		s.run, s.sep = 0, false
	}
	return s, false
}

// digitClasses is the number of byte classes of digitClass.
const digitClasses = dot + 1

// The digit-run rule compiled to a table, so that the scan follows it with
// one load per byte and no branch on the byte's class (TestDigitTable
// checks it against step). A state is stored
// as its row's offset, state*digitClasses. The card trigger is sticky:
// once a run reached minCardDigits the state stays runHit.
var digitNext, runStart, runHit = compileDigitRuns()

func compileDigitRuns() (next *[256]uint8, start, hit uint8) {
	index := map[runState]int{}
	var states []runState
	add := func(s runState) int {
		if s.run < 0 {
			s.run = inWord // every negative run behaves alike
		}
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(states)
		states = append(states, s)
		return len(states) - 1
	}
	hitState := add(runState{run: minCardDigits}) // row 0, never left
	add(runState{})
	var rows [][digitClasses]int
	for i := 0; i < len(states); i++ {
		var row [digitClasses]int
		for c := range uint8(digitClasses) {
			n, reached := states[i].step(c)
			if i == hitState || reached {
				row[c] = hitState
			} else {
				row[c] = add(n)
			}
		}
		rows = append(rows, row)
	}
	if len(rows)*digitClasses > 256 {
		panic("mask: digit-run table does not fit a byte")
	}
	next = new([256]uint8)
	for i, row := range rows {
		for c, n := range row {
			next[i*digitClasses+c] = uint8(n * digitClasses)
		}
	}
	return next, uint8(1 * digitClasses), uint8(hitState * digitClasses)
}

// scan returns the detectors whose trigger appears in v: a keyword, or for
// the card detector a run of minCardDigits digits that starts outside a
// word and in which single spaces or dashes may split groups. Both are
// supersets of what the detectors accept. It never allocates.
func scan(p *prefilter, v []byte) set {
	var hits set
	scanInto(p, v, &hits)
	return hits
}

// scanInto is scan adding to hits, for callers that keep the set: it is
// called for every value of every row, where copying 64-byte sets costs.
// Most values hold too few digits for a card at all, which a count eight
// bytes at a time tells for less than following the digit runs would cost;
// those take the loop without them.
func scanInto(p *prefilter, v []byte, hits *set) {
	a := p.keywords
	// Locals, so the loop keeps the tables in registers: through a it
	// would load them again after every possible store to hits.
	next, class := a.next, &a.class
	row := 0
	if p.card < 0 || len(v) < minCardDigits || countDigits(v) < minCardDigits {
		for _, b := range v {
			e := next[row+int(class[b])]
			row = int(e >> 1)
			if e&1 != 0 {
				hits.union(&a.sets[a.out[row/a.stride]])
			}
		}
		return
	}
	d, dnext := runStart, digitNext
	for _, b := range v {
		e := next[row+int(class[b])]
		row = int(e >> 1)
		if e&1 != 0 {
			hits.union(&a.sets[a.out[row/a.stride]])
		}
		d = dnext[d+digitClass[b]]
	}
	if d == runHit {
		hits.add(p.card)
	}
}

// countDigits returns how many bytes of v, which is at least eight bytes
// long, are ASCII digits, eight at a time.
func countDigits(v []byte) int {
	n, i := 0, 0
	for ; i+8 <= len(v); i += 8 {
		n += digitsIn(binary.LittleEndian.Uint64(v[i:]))
	}
	if rest := len(v) - i; rest > 0 {
		// The last eight bytes, shifted so only the uncounted ones stay.
		n += digitsIn(binary.LittleEndian.Uint64(v[len(v)-8:]) >> (8 * (8 - rest)))
	}
	return n
}

// digitsIn counts the ASCII digits among the eight bytes of x.
func digitsIn(x uint64) int {
	const (
		lows  = 0x7f7f7f7f7f7f7f7f
		highs = 0x8080808080808080
		to30  = 0x5050505050505050 // + 0x50 sets a byte's high bit from 0x30
		to3a  = 0x4646464646464646 // + 0x46 sets it from 0x3a
		ones  = 0x0101010101010101
	)
	// Bytes of 0x80 and up are no digits; the rest cannot carry into
	// their neighbour when added to.
	y := x & lows
	digits := (y + to30) &^ (y + to3a) &^ x & highs
	// One bit per digit byte, summed into the top byte by the multiply.
	return int((digits >> 7) * ones >> 56)
}
