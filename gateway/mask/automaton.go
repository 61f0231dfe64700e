package mask

import (
	"cmp"
	"fmt"
	"slices"
)

// automaton is an Aho-Corasick automaton over ASCII-lowered bytes, compiled
// to a dense table, that finds every detector keyword in one pass. Bytes
// that occur in no keyword share class 0, which keeps the table small
// enough to stay in cache.
type automaton struct {
	class  [256]uint8 // byte -> column of next
	stride int        // number of classes
	next   []uint32   // state*stride + class -> edge to the next state
	out    []uint16   // state -> index into sets, 0 when no keyword ends here
	sets   []set      // detectors triggered by reaching a state; sets[0] is empty
	emits  [][]emit   // state -> the keywords that end there
}

// An edge holds the next state's row offset in next (state*stride), so
// that the scan needs no multiplication, shifted left by one; the low bit
// says whether a keyword ends in that state.
func edge(state, stride int, out bool) uint32 {
	e := uint32(state*stride) << 1
	if out {
		e |= 1
	}
	return e
}

// emit is a keyword of detector det, len bytes long.
type emit struct{ det, len int }

// trie is the automaton under construction.
type trie struct {
	child [][]int32 // state -> class -> state, -1 when absent
	tree  [][]int32 // state -> the states inserted below it, in order
	fail  []int32
	hits  []set
	emits [][]emit
}

// newAutomaton builds the automaton for keywords[i], which triggers detector
// owners[i].
func newAutomaton(keywords []string, owners []int) (*automaton, error) {
	a := &automaton{stride: 1}
	for _, kw := range keywords {
		for i := 0; i < len(kw); i++ {
			if b := lower(kw[i]); a.class[b] == 0 {
				a.class[b] = uint8(a.stride)
				a.stride++
				if a.stride > 255 {
					return nil, fmt.Errorf("too many distinct keyword bytes")
				}
			}
		}
	}
	for b := 'A'; b <= 'Z'; b++ {
		a.class[b] = a.class[b+'a'-'A']
	}
	t := a.newTrie()
	for i, kw := range keywords {
		if kw == "" {
			return nil, fmt.Errorf("empty keyword for detector %d", owners[i])
		}
		t.insert(a, kw, owners[i])
	}
	t.link(a.stride)
	if err := a.compile(t); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *automaton) newTrie() *trie {
	t := &trie{}
	t.addState(a.stride)
	return t
}

func (t *trie) addState(stride int) int32 {
	row := make([]int32, stride)
	for i := range row {
		row[i] = -1
	}
	t.child = append(t.child, row)
	t.tree = append(t.tree, nil)
	t.fail = append(t.fail, 0)
	t.hits = append(t.hits, set{})
	t.emits = append(t.emits, nil)
	return int32(len(t.child) - 1)
}

func (t *trie) insert(a *automaton, kw string, owner int) {
	s := int32(0)
	for i := 0; i < len(kw); i++ {
		c := a.class[kw[i]]
		if t.child[s][c] < 0 {
			n := t.addState(a.stride)
			t.child[s][c] = n
			t.tree[s] = append(t.tree[s], n)
		}
		s = t.child[s][c]
	}
	t.hits[s].add(owner)
	t.emits[s] = append(t.emits[s], emit{det: owner, len: len(kw)})
}

// link turns the trie into a complete automaton: breadth first, each missing
// edge points where the failure link would lead, and each state inherits the
// hits of its failure state (a keyword that is a suffix of another).
func (t *trie) link(stride int) {
	queue := []int32{}
	for c := 0; c < stride; c++ {
		if n := t.child[0][c]; n > 0 {
			queue = append(queue, n)
		} else {
			t.child[0][c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		t.hits[s].union(&t.hits[t.fail[s]])
		t.emits[s] = append(t.emits[s], t.emits[t.fail[s]]...)
		for c := 0; c < stride; c++ {
			n := t.child[s][c]
			if n < 0 {
				t.child[s][c] = t.child[t.fail[s]][c]
				continue
			}
			t.fail[n] = t.child[t.fail[s]][c]
			queue = append(queue, n)
		}
	}
}

// compile lays the automaton out as a table. States are numbered breadth
// first: ordinary text keeps the scan within a few bytes of the root, so
// the rows it reads most sit together at the table's start and stay in
// cache while a result streams through the gateway.
func (a *automaton) compile(t *trie) error {
	if len(t.child) > 1<<16 || len(t.child)*a.stride >= 1<<31 {
		return fmt.Errorf("keyword automaton has %d states, more than %d", len(t.child), 1<<16)
	}
	order, rank := t.breadthFirst()
	a.next = make([]uint32, len(t.child)*a.stride)
	a.out = make([]uint16, len(t.child))
	a.emits = make([][]emit, len(t.child))
	a.sets = []set{{}}
	index := map[set]uint16{{}: 0}
	for s, old := range order {
		for c, n := range t.child[old] {
			a.next[s*a.stride+c] = edge(rank[n], a.stride, !t.hits[n].empty())
		}
		id, ok := index[t.hits[old]]
		if !ok {
			id = uint16(len(a.sets))
			index[t.hits[old]] = id
			a.sets = append(a.sets, t.hits[old])
		}
		a.out[s] = id
		a.emits[s] = t.emits[old]
	}
	return nil
}

// breadthFirst returns the trie's states in order of depth (order[new] is
// the old number) and each old state's new number. Depth is measured along
// the trie's own edges, recorded before link filled in the rest.
func (t *trie) breadthFirst() (order []int32, rank []int) {
	rank = make([]int, len(t.child))
	for i := range rank {
		rank[i] = -1
	}
	order = []int32{0}
	rank[0] = 0
	for i := 0; i < len(order); i++ {
		for _, n := range t.tree[order[i]] {
			if rank[n] < 0 {
				rank[n] = len(order)
				order = append(order, n)
			}
		}
	}
	return order, rank
}

func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// keyword is where a keyword of detector det starts in a value.
type keyword struct{ det, start int }

// find appends every keyword occurrence in v to ks, ordered by detector
// and then by position. Only values that the prefilter flagged come here.
func (a *automaton) find(v []byte, ks []keyword) []keyword {
	row := 0
	for i, b := range v {
		e := a.next[row+int(a.class[b])]
		row = int(e >> 1)
		if e&1 == 0 {
			continue
		}
		for _, e := range a.emits[row/a.stride] {
			ks = append(ks, keyword{det: e.det, start: i + 1 - e.len})
		}
	}
	slices.SortFunc(ks, func(x, y keyword) int {
		if x.det != y.det {
			return cmp.Compare(x.det, y.det)
		}
		return cmp.Compare(x.start, y.start)
	})
	return ks
}
