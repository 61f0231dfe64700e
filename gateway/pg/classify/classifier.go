package classify

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Options bound the work done per statement. Zero values take the defaults.
type Options struct {
	MaxLength int // longest text classified, in bytes; default 1 << 20
	MaxDepth  int // deepest nesting (brackets and operator chains) parsed; default 100
	CacheSize int // verdicts kept; default 10000; negative turns the cache off
}

const (
	defaultMaxLength = 1 << 20
	defaultMaxDepth  = 100
	defaultCacheSize = 10000
)

// Classifier classifies SQL text. It is safe for concurrent use.
type Classifier struct {
	maxLength int
	maxDepth  int
	cache     *cache
	parses    atomic.Int64 // full parses, for tests of the cache
	normals   atomic.Int64 // calls of pg_query.Normalize, for tests of the fast key
}

// New returns a Classifier with opts, defaults filled in.
func New(opts Options) *Classifier {
	if opts.MaxLength <= 0 {
		opts.MaxLength = defaultMaxLength
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = defaultMaxDepth
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = defaultCacheSize
	}
	return &Classifier{
		maxLength: opts.MaxLength,
		maxDepth:  opts.MaxDepth,
		cache:     newCache(opts.CacheSize),
	}
}

// Classify returns what sql does. Without a Session nothing is known to be
// prepared, so EXECUTE of a statement not prepared earlier in the same text
// is refused.
func (c *Classifier) Classify(sql string) Verdict {
	an := c.analysis(sql)
	if len(an.ops) == 0 {
		return an.verdict.clone()
	}
	return preparedSet{}.apply(an).clone()
}

// analysis is the verdict of one text before session state is applied. Once
// built it is shared through the cache and never changed.
type analysis struct {
	verdict Verdict
	ops     []sessionOp // PREPARE, EXECUTE, DEALLOCATE in text order
	literal bool        // the verdict looked at the value of a constant or parameter
}

func refused(reason string) *analysis {
	return &analysis{verdict: Verdict{Refuse: true, Reasons: []string{reason}}}
}

// analysis looks the text up by its exact form, then by its fast key, then
// by its normalized form, and only parses it when all miss. A verdict is
// stored under the normalized form (and the fast key) only when it did not
// depend on any constant, since "WHERE 1 = 1" and "WHERE 1 = 2" normalize
// alike.
func (c *Classifier) analysis(sql string) *analysis {
	if len(sql) > c.maxLength {
		return refused(fmt.Sprintf("longer than %d bytes", c.maxLength))
	}
	exact := cacheKey{text: sql}
	if an, ok := c.cache.get(exact); ok {
		return an
	}
	var fast []byte
	fastOK := false
	if c.cache != nil && len(sql) <= maxKeyLen {
		buf := fastKeys.Get().(*[]byte)
		defer fastKeys.Put(buf)
		fast, fastOK = appendFastKey((*buf)[:0], sql)
		*buf = fast[:0]
	}
	if fastOK {
		if an, ok := c.cache.getBytes(false, true, fast); ok {
			return an
		}
	}
	if an := c.precheck(sql); an != nil {
		c.cache.put(exact, an)
		return an
	}
	if c.cache == nil || len(sql) > maxKeyLen {
		// Nothing to look up. (Normalize is also slow on many constants,
		// half a million take seconds, while Parse reads a huge literal as
		// one token.)
		c.parses.Add(1)
		return parseAndWalk(sql)
	}
	c.normals.Add(1)
	normalized, err := pg_query.Normalize(sql)
	if err != nil {
		an := refused("does not parse")
		c.cache.put(exact, an)
		return an
	}
	norm := cacheKey{normalized: true, text: normalized}
	shareable := unambiguous(sql, normalized)
	if shareable {
		if an, ok := c.cache.get(norm); ok {
			// The normalized form may have been cached by a text the fast
			// key does not take, such as the "$1" of a prepared statement;
			// the texts that differ from this one in constants only skip
			// Normalize from now on.
			if fastOK && !an.literal {
				c.shareFast(fast, normalized, an)
			}
			return an
		}
	}
	c.parses.Add(1)
	an := parseAndWalk(sql)
	c.cache.put(exact, an)
	if shareable && !an.literal {
		c.cache.put(norm, an)
		if fastOK {
			c.shareFast(fast, normalized, an)
		}
	}
	return an
}

// shareFast stores an, a verdict shared through the normalized form, under
// the fast key too when the fast key's constants sit exactly where
// Normalize put its placeholders.
func (c *Classifier) shareFast(fast []byte, normalized string, an *analysis) {
	if sameSlots(fast, normalized) {
		c.cache.put(cacheKey{fast: true, text: string(fast)}, an)
	}
}

// fastKeys are the buffers fast keys are built in: one per statement would
// be most of what classifying a cached statement allocates. A key is never
// longer than maxKeyLen.
var fastKeys = sync.Pool{New: func() any { return new([]byte) }}

// unambiguous reports whether the normalized text stands for sql and the
// texts that differ from it only in constants, and for no other statement.
// Normalize writes $n where a constant was, and the lexer may read that
// differently from a constant: glued to a word before it, "$1" joins the
// word (the typed literal A'x'WHERE becomes the identifier A$1WHERE), and
// digits right after a literal in sql join the placeholder's number. Both
// are checked loosely (an identifier such as a$1 counts too); such texts are
// still cached by their exact text.
func unambiguous(sql, normalized string) bool {
	for i := 1; i+1 < len(normalized); i++ {
		if normalized[i] == '$' && isDigit(normalized[i+1]) && isIdentCont(normalized[i-1]) {
			return false
		}
	}
	for i := 0; i+1 < len(sql); i++ {
		next := sql[i+1]
		if !isDigit(next) && next != '_' {
			continue
		}
		// A literal ends in a quote, or in the $ of a dollar quote's
		// closing delimiter (after a tag character or another $).
		if sql[i] == '\'' || sql[i] == '$' && i > 0 && isIdentCont(sql[i-1]) {
			return false
		}
	}
	return true
}

// precheck refuses what must not reach the parser.
func (c *Classifier) precheck(sql string) *analysis {
	switch {
	case strings.IndexByte(sql, 0) >= 0:
		// The parser reads a C string and would stop at the NUL.
		return refused("contains a NUL byte")
	case !utf8.ValidString(sql):
		return refused("is not valid UTF-8")
	case nestingDepth(sql, c.maxDepth) > c.maxDepth:
		return refused(fmt.Sprintf("nests deeper than %d", c.maxDepth))
	}
	return nil
}

func parseAndWalk(sql string) (an *analysis) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return refused("does not parse")
	}
	defer func() {
		// A bug in the walker must fail closed, not take the gateway down.
		if recover() != nil {
			an = refused(internalError)
		}
	}()
	return walkTree(tree)
}

const internalError = "could not be classified"
