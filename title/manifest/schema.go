package manifest

import _ "embed"

//go:embed schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of a manifest, for editors
// and for the studio documentation. It describes the shape and ranges;
// Validate remains the authority (it also checks rules across fields). The
// slice is a copy, so callers cannot change what the next caller sees.
func Schema() []byte { return append([]byte(nil), schema...) }
