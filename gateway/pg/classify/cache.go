package classify

import (
	"strings"
	"sync"
	"unsafe"
)

// cache is a bounded, concurrency-safe map of analyses with two generations:
// entries go into the young one; when it is full it becomes the old one and
// the previous old one is dropped. A hit in the old generation moves the
// entry back into the young one, so what is used stays. It holds at most
// size entries and about maxBytes of keys.
type cache struct {
	mu       sync.RWMutex
	young    map[cacheKey]*analysis
	old      map[cacheKey]*analysis
	bytes    int // key bytes in young
	perGen   int
	maxBytes int
}

type cacheKey struct {
	normalized bool // text is pg_query.Normalize output, not the client's text
	fast       bool // text is fastKey output
	text       string
}

// maxKeyLen bounds the texts worth caching: longer statements are rare, cost
// more memory than they save time, and are parsed each time.
const maxKeyLen = 16 << 10

func newCache(size int) *cache {
	if size <= 0 {
		return nil
	}
	perGen := max(size/2, 1)
	return &cache{
		young:    make(map[cacheKey]*analysis),
		perGen:   perGen,
		maxBytes: 16 << 20,
	}
}

func (c *cache) get(k cacheKey) (*analysis, bool) {
	return c.getBytes(k.normalized, k.fast, unsafe.Slice(unsafe.StringData(k.text), len(k.text)))
}

// getBytes is get with the key's text as bytes, so that a key built in a
// scratch buffer is looked up without a string made of it: the map lookups
// below convert it in place, and only a hit in the old generation, which
// moves the entry, copies it.
func (c *cache) getBytes(normalized, fast bool, text []byte) (*analysis, bool) {
	if c == nil || len(text) > maxKeyLen {
		return nil, false
	}
	// A miss, the usual fate of a text with new literals, takes only the
	// read lock; the write lock is for moving an old entry.
	c.mu.RLock()
	an, young := c.young[cacheKey{normalized, fast, string(text)}]
	_, old := c.old[cacheKey{normalized, fast, string(text)}]
	c.mu.RUnlock()
	if young || !old {
		return an, young
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if an, ok := c.young[cacheKey{normalized, fast, string(text)}]; ok {
		return an, true
	}
	an, ok := c.old[cacheKey{normalized, fast, string(text)}]
	if ok {
		k := cacheKey{normalized, fast, string(text)}
		delete(c.old, k)
		c.putLocked(k, an)
	}
	return an, ok
}

func (c *cache) put(k cacheKey, an *analysis) {
	if c == nil || len(k.text) > maxKeyLen {
		return
	}
	// Do not keep the caller's buffer alive through the key.
	k.text = strings.Clone(k.text)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, an)
}

func (c *cache) putLocked(k cacheKey, an *analysis) {
	if _, ok := c.young[k]; ok {
		c.young[k] = an
		return
	}
	if len(c.young) >= c.perGen || c.bytes+len(k.text) > c.maxBytes/2 {
		c.old, c.young, c.bytes = c.young, make(map[cacheKey]*analysis, len(c.young)), 0
	}
	c.young[k] = an
	c.bytes += len(k.text)
}

func (c *cache) len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.young) + len(c.old)
}
