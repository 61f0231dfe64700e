package classify

import (
	"reflect"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// The walk is generic over the parse tree's protobuf messages, so node types
// this package does not name are still descended into. It reads the Go
// structs through reflect with field indexes computed once per type:
// protoreflect's Range and WhichOneof cost several times more, and Node's
// oneof has a field per node type.

// messageInfo is what walking needs to know of one message type.
type messageInfo struct {
	children []childField
	node     bool // pg_query.Node: the child is the message inside its oneof
	stmt     bool // a statement type: its name ends in Stmt
	rule     rule
}

type childField struct {
	index int
	list  bool
}

var (
	messageType = reflect.TypeFor[proto.Message]()
	nodeType    = reflect.TypeFor[pg_query.Node]()
)

var messageInfos = buildMessageInfos()

func buildMessageInfos() map[reflect.Type]*messageInfo {
	msgs := pg_query.File_pg_query_proto.Messages()
	infos := make(map[reflect.Type]*messageInfo, msgs.Len())
	for i := range msgs.Len() {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(msgs.Get(i).FullName())
		if err != nil {
			continue
		}
		t := reflect.TypeOf(mt.Zero().Interface()).Elem()
		infos[t] = newMessageInfo(t, msgs.Get(i))
	}
	return infos
}

func newMessageInfo(t reflect.Type, d protoreflect.MessageDescriptor) *messageInfo {
	in := &messageInfo{node: t == nodeType}
	for i := range t.NumField() {
		f := t.Field(i)
		switch {
		case !f.IsExported():
		case f.Type.Implements(messageType):
			in.children = append(in.children, childField{index: i})
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Implements(messageType):
			in.children = append(in.children, childField{index: i, list: true})
		}
	}
	name := string(d.Name())
	if len(name) > 4 && name[len(name)-4:] == "Stmt" && name != "RawStmt" {
		in.stmt = true
		in.rule = statementRules[name]
	}
	return in
}

func infoOf(v reflect.Value) *messageInfo {
	if in, ok := messageInfos[v.Type()]; ok {
		return in
	}
	return newMessageInfo(v.Type(), v.Addr().Interface().(proto.Message).ProtoReflect().Descriptor())
}

// eachChild calls fn for every message directly below m (v is *m), until fn
// returns false; it reports whether it went through all of them.
func eachChild(v reflect.Value, in *messageInfo, fn func(proto.Message) bool) bool {
	if in.node {
		inner := unwrapValue(v)
		return !inner.IsValid() || fn(inner.Interface().(proto.Message))
	}
	for _, c := range in.children {
		f := v.Field(c.index)
		if !c.list {
			if !f.IsNil() && !fn(f.Interface().(proto.Message)) {
				return false
			}
			continue
		}
		for i := range f.Len() {
			if e := f.Index(i); !e.IsNil() && !fn(e.Interface().(proto.Message)) {
				return false
			}
		}
	}
	return true
}

// unwrapValue returns the message pointer a Node (v) holds, or the zero
// Value: Node's oneof is an interface holding a wrapper struct whose one
// field is the message.
func unwrapValue(v reflect.Value) reflect.Value {
	oneof := v.FieldByIndex(nodeOneof)
	if oneof.IsNil() {
		return reflect.Value{}
	}
	inner := oneof.Elem().Elem().Field(0)
	if inner.Kind() != reflect.Pointer || inner.IsNil() {
		return reflect.Value{}
	}
	return inner
}

var nodeOneof = func() []int {
	f, ok := nodeType.FieldByName("Node")
	if !ok {
		panic("pg_query.Node has no Node field")
	}
	return f.Index
}()

// unwrap returns the message a Node holds, or nil.
func unwrap(n *pg_query.Node) proto.Message {
	inner := unwrapValue(reflect.ValueOf(n).Elem())
	if !inner.IsValid() {
		return nil
	}
	return inner.Interface().(proto.Message)
}
