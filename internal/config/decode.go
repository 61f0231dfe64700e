package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder fills a struct from a yaml.Node by walking both together, instead
// of yaml's own Decode, so that an unknown key, a value of the wrong shape or
// a duplicate key is reported with its full key path, and so that ${NAME}
// is expanded in values only, after parsing.
type decoder struct {
	lookupEnv func(string) (string, bool)
	report    *report
	merging   map[*yaml.Node]bool
}

func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	n = resolve(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.mapping(path, n, v)
	case reflect.Slice:
		d.sequence(path, n, v)
	default:
		d.scalar(path, n, v)
	}
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func (d *decoder) mapping(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.wrongShape(path, "a mapping of keys", n)
		return
	}
	d.report.set[path] = true
	fields := fieldsOf(v.Type())
	for _, p := range d.pairs(path, n) {
		i, ok := fields[p.key]
		if !ok {
			d.report.add(join(path, p.key), "unknown key (known: %s)", strings.Join(keysOf(v.Type()), ", "))
			continue
		}
		d.decode(join(path, p.key), p.value, v.Field(i))
	}
}

type pair struct {
	key   string
	value *yaml.Node
}

// pairs lists a mapping's keys and values in document order. Keys brought in
// with a "<<" merge come after the mapping's own and never override them,
// as YAML's merge key specifies.
func (d *decoder) pairs(path string, n *yaml.Node) []pair {
	var own, merged []pair
	line := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, value := resolve(n.Content[i]), n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			d.report.add(path, "a key on line %d is %s; keys are plain names", k.Line, shapeOf(k))
		case k.Tag == "!!merge":
			merged = append(merged, d.merge(join(path, k.Value), value)...)
		case line[k.Value] != 0:
			d.report.add(join(path, k.Value), "duplicate key (first set on line %d)", line[k.Value])
		default:
			line[k.Value] = k.Line
			own = append(own, pair{k.Value, value})
		}
	}
	for _, p := range merged {
		if line[p.key] == 0 {
			line[p.key] = -1
			own = append(own, p)
		}
	}
	return own
}

// merge returns the pairs a "<<" key brings in: one mapping, or a list of
// mappings of which the earlier win.
func (d *decoder) merge(path string, n *yaml.Node) []pair {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		return d.mergeMapping(path, n)
	}
	var all []pair
	for _, item := range n.Content {
		all = append(all, d.mergeMapping(path, resolve(item))...)
	}
	return all
}

func (d *decoder) mergeMapping(path string, n *yaml.Node) []pair {
	if n.Kind != yaml.MappingNode {
		d.report.add(path, "merges %s; it takes a mapping or a list of mappings", shapeOf(n))
		return nil
	}
	// A mapping that merges itself, directly or through others, would
	// otherwise be walked forever.
	if d.merging[n] {
		d.report.add(path, "merges a mapping that contains this merge")
		return nil
	}
	d.merging[n] = true
	defer delete(d.merging, n)
	return d.pairs(path, n)
}

func (d *decoder) sequence(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.wrongShape(path, `a list ([a, b] or one "- item" per line)`, n)
		return
	}
	d.report.set[path] = true
	items := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		d.decode(index(path, i), item, items.Index(i))
	}
	v.Set(items)
}

func (d *decoder) scalar(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind != yaml.ScalarNode {
		d.wrongShape(path, "a single value", n)
		return
	}
	value, unset, err := expand(n.Value, d.lookupEnv)
	if len(unset) > 0 {
		d.report.unset[path] = unset
	}
	if err != nil {
		d.report.add(path, "%v", err)
		return
	}
	if value == "" && v.Kind() != reflect.String {
		return // an unset ${NAME} leaves the default, as an absent key does
	}
	d.report.set[path] = true
	if err := setScalar(v, value); err != nil {
		d.report.add(path, "%v", err)
	}
}

func (d *decoder) wrongShape(path, want string, n *yaml.Node) {
	d.report.add(path, "expected %s, got %s", want, shapeOf(n))
}

func shapeOf(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

// fieldsOf maps a struct's yaml keys to field indexes.
func fieldsOf(t reflect.Type) map[string]int {
	fields := map[string]int{}
	for i := range t.NumField() {
		if key := keyOf(t.Field(i)); key != "" {
			fields[key] = i
		}
	}
	return fields
}

// keysOf lists a struct's yaml keys in declaration order, which is the order
// the example configuration uses.
func keysOf(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if key := keyOf(t.Field(i)); key != "" {
			keys = append(keys, key)
		}
	}
	return keys
}

func keyOf(f reflect.StructField) string {
	key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if key == "-" || !f.IsExported() {
		return ""
	}
	return key
}

// parseDocument parses data into the node of its single top-level mapping.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errEmpty
		}
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("a second YAML document starts on line %d; keep the whole configuration in one", next.Line)
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, errEmpty
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("the top level must be a mapping of keys, got %s", shapeOf(root))
	}
	return root, nil
}

var errEmpty = errors.New("the file has no settings (start from deploy/jitgate.example.yaml)")
