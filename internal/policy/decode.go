package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

type node = yaml.Node

var itoa = strconv.Itoa

// maxThreshold bounds the thresholds: Kafka's replication factor is an
// int16.
const maxThreshold = 32767

// decoder turns the YAML tree into settings; every error it returns reads
// "name:line: what is wrong".
type decoder struct{ name string }

func (d decoder) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", d.name, line, fmt.Sprintf(format, args...))
}

// yamlLine matches the line yaml.v3 puts in its syntax errors.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// document parses the single YAML document of the file: nil when the file
// holds none (empty or only comments) or holds null.
func document(name string, data []byte) (*node, error) {
	syntax := func(err error) error {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return fmt.Errorf("%s:%s: %s", name, m[1], m[2])
		}
		return fmt.Errorf("%s:1: %s", name, msg)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntax(err)
	}
	var extra node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntax(err)
		}
		return nil, fmt.Errorf("%s:%d: only one YAML document is allowed", name, extra.Line)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil
		}
		root = root.Content[0]
	}
	if root = resolve(root); isNull(root) {
		return nil, nil
	}
	return root, nil
}

// resolve follows aliases (*name) to the node they stand for.
func resolve(n *node) *node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

// describe names what a node holds, for "got ..." in errors.
func describe(n *node) string {
	switch {
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.AliasNode:
		return "an alias"
	}
	return strconv.Quote(n.Value)
}

// fields are the keys of one mapping, with their values.
type fields struct {
	line   int // of the mapping
	values map[string]*node
}

// get returns the value of key, nil when it is absent or null.
func (f fields) get(key string) *node {
	if n := f.values[key]; !isNull(n) {
		return n
	}
	return nil
}

// mapping checks that n is a mapping whose keys are all known and set once.
// ctx prefixes messages; what names the mapping in the "must be" message.
func (d decoder) mapping(n *node, known []string, ctx, what string) (fields, error) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return fields{}, d.errorf(n.Line, "%s must be a mapping of keys (%s), got %s", what, strings.Join(known, ", "), describe(n))
	}
	f := fields{line: n.Line, values: make(map[string]*node, len(n.Content)/2)}
	keyLine := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return fields{}, d.errorf(k.Line, "%sa key must be a name, got %s", ctx, describe(k))
		}
		if !contains(known, k.Value) {
			return fields{}, d.errorf(k.Line, "%sunknown key %q%s", ctx, k.Value, suggest(k.Value, known, "known keys"))
		}
		if first, dup := keyLine[k.Value]; dup {
			return fields{}, d.errorf(k.Line, "%s%s is already set on line %d", ctx, k.Value, first)
		}
		keyLine[k.Value] = k.Line
		f.values[k.Value] = resolve(n.Content[i+1])
	}
	return f, nil
}

// threshold sets *dst from key, a whole number in 1..maxThreshold, when it
// is set.
func (d decoder) threshold(dst *int, f fields, key, ctx string) error {
	n := f.get(key)
	if n == nil {
		return nil
	}
	var v int
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		return d.errorf(n.Line, "%s%s must be a whole number, got %s", ctx, key, describe(n))
	}
	if v < 1 || v > maxThreshold {
		return d.errorf(n.Line, "%s%s must be between 1 and %d, got %d", ctx, key, maxThreshold, v)
	}
	*dst = v
	return nil
}

// str returns the text of key and its line ("" when it is absent).
func (d decoder) str(f fields, key, ctx, what string) (string, int, error) {
	n := f.get(key)
	if n == nil {
		return "", f.line, nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", 0, d.errorf(n.Line, "%s%s must be %s, got %s", ctx, key, what, describe(n))
	}
	return n.Value, n.Line, nil
}

// list returns the entries of the list under key (nil when it is absent).
func (d decoder) list(f fields, key, ctx, what string) ([]*node, error) {
	n := f.get(key)
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n.Line, "%s%s must be %s, got %s", ctx, key, what, describe(n))
	}
	return n.Content, nil
}

// risks reads the list of risk names under key, each one of valid.
func (d decoder) risks(f fields, key, ctx, kind string, valid []string) (map[string]bool, error) {
	entries, err := d.list(f, key, ctx, "a list of "+kind+" risk names")
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	set := make(map[string]bool, len(entries))
	for _, e := range entries {
		e = resolve(e)
		if e.Kind != yaml.ScalarNode || isNull(e) {
			return nil, d.errorf(e.Line, "%s%s: each entry must be a %s risk name, got %s", ctx, key, kind, describe(e))
		}
		if !contains(valid, e.Value) {
			return nil, d.errorf(e.Line, "%sunknown %s risk %q%s", ctx, kind, e.Value, suggest(e.Value, valid, "known"))
		}
		set[e.Value] = true
	}
	return set, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
