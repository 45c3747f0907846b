package manifest

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestSchemaMatchesStruct walks Manifest's json tags and the schema side by
// side, so a field added to one and not the other fails here.
func TestSchemaMatchesStruct(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	if root["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", root["$schema"])
	}
	defs, _ := root["$defs"].(map[string]any)
	compare(t, "", reflect.TypeFor[Manifest](), root, defs)
}

func compare(t *testing.T, path string, typ reflect.Type, node map[string]any, defs map[string]any) {
	t.Helper()
	node = deref(t, path, node, defs)
	for typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
		typ = typ.Elem()
		if items, ok := node["items"].(map[string]any); ok {
			node = deref(t, path, items, defs)
		}
	}
	if typ.Kind() != reflect.Struct {
		return
	}
	if node["additionalProperties"] != false {
		t.Errorf("schema %s: want additionalProperties false, as Parse refuses unknown fields", orRoot(path))
	}
	props, _ := node["properties"].(map[string]any)
	var inStruct []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			t.Errorf("%s.%s has no json name", typ, f.Name)
			continue
		}
		inStruct = append(inStruct, name)
		sub, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("schema %s lacks property %q (field %s.%s)", orRoot(path), name, typ, f.Name)
			continue
		}
		if _, ok := sub["description"]; !ok && sub["$ref"] == nil {
			t.Errorf("schema %s.%s has no description", orRoot(path), name)
		}
		compare(t, strings.TrimPrefix(path+"."+name, "."), f.Type, sub, defs)
	}
	var inSchema []string
	for name := range props {
		inSchema = append(inSchema, name)
	}
	sort.Strings(inStruct)
	sort.Strings(inSchema)
	if !slices.Equal(inStruct, inSchema) {
		t.Errorf("schema %s properties %v, struct %s fields %v", orRoot(path), inSchema, typ, inStruct)
	}
}

func deref(t *testing.T, path string, node, defs map[string]any) map[string]any {
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	def, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	if !ok {
		t.Fatalf("schema %s: dangling $ref %q", orRoot(path), ref)
	}
	if _, ok := def["description"]; !ok {
		t.Errorf("schema %s has no description", ref)
	}
	return def
}

func orRoot(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

// The schema's enums must list exactly what Validate accepts.
func TestSchemaEnums(t *testing.T) {
	var root struct {
		Defs struct {
			TouchButton struct {
				Properties struct {
					Pad struct{ Enum []string }
				}
			} `json:"touchButton"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema(), &root); err != nil {
		t.Fatal(err)
	}
	if got := root.Defs.TouchButton.Properties.Pad.Enum; !slices.Equal(got, padNames[:]) {
		t.Errorf("schema pad enum %v, want %v", got, padNames)
	}
}

func TestSchemaIsACopy(t *testing.T) {
	s := Schema()
	s[0] = 'x'
	if Schema()[0] == 'x' {
		t.Error("Schema returns the embedded slice itself")
	}
}
