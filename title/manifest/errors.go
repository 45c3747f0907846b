package manifest

import "strings"

// FieldError is one problem with one field. Field is the JSON path, such as
// "input.touch.buttons[2].key".
type FieldError struct {
	Field   string
	Problem string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Problem }

// ValidationError holds every problem Validate found, in field order.
type ValidationError struct {
	Problems []FieldError
}

// Error puts one problem on each line, so a long list stays readable in a
// terminal and in the studio's upload page.
func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// problems collects FieldErrors while Validate walks the manifest.
type problems []FieldError

func (p *problems) add(field, problem string) {
	*p = append(*p, FieldError{Field: field, Problem: problem})
}

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}
