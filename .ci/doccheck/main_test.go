package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheck runs check on small packages and compares the problems it
// reports with the expected ones.
func TestCheck(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		want []string // substrings of the problems, in order; none for a clean package
	}{
		{"documented", `package p

// T is documented.
type T struct{}

// A U is fine: an article may come first for a type.
type U int

// New returns a T.
func New() *T { return nil }

// Close closes t.
func (t *T) Close() error { return nil }

func (t *T) unexported() {}

func (u u) Exported() {} // the method of an unexported type: not in go doc

type u int

// The levels.
const (
	A = iota
	B
)

// Max is the most.
const Max = 3

var (
	// ErrX is an error.
	ErrX = 1
	// ErrY, ErrZ are errors too.
	ErrY, ErrZ = 2, 3
)
`, nil},
		{"missing", `package p

type T struct{}

func New() *T { return nil }

func (t *T) String() string { return "" }

const Max = 3

var ErrX = 1
`, []string{
			"exported type T has no doc comment",
			"exported function New has no doc comment",
			"exported method T.String has no doc comment",
			"exported constant Max has no doc comment",
			"exported variable ErrX has no doc comment",
		}},
		{"misnamed", `package p

// This type is misnamed.
type T struct{}

// NewT returns a T: it names another function.
func New() *T { return nil }

// Closer closes: a longer word is not the name.
func (t *T) Close() error { return nil }

// A Close is no excuse for a function.
func Close() {}

// The maximum, without its name.
const Max = 3
`, []string{
			`doc comment of exported type T should start with "T", not "This type is misnamed."`,
			`doc comment of exported function New should start with "New"`,
			`doc comment of exported method T.Close should start with "Close"`,
			`doc comment of exported function Close should start with "Close"`,
			`doc comment of exported constant Max should start with "Max"`,
		}},
		{"group without a comment", `package p

const (
	// A is documented.
	A = 1
	B = 2 // a line comment is not a doc comment
)
`, []string{"exported constant B has no doc comment, nor has its group"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := check(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("problem %d: got %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestCheckSkips checks what check leaves out: test files, testdata,
// directories starting with "." or "_", and nested modules; and that it
// goes into the other subdirectories.
func TestCheckSkips(t *testing.T) {
	dir := t.TempDir()
	undocumented := "package p\n\nfunc Undocumented() {}\n"
	for path, src := range map[string]string{
		"p_test.go":             undocumented,
		"testdata/p.go":         undocumented,
		".hidden/p.go":          undocumented,
		"_old/p.go":             undocumented,
		"nested/go.mod":         "module example.com/nested\n",
		"nested/p.go":           undocumented,
		"sub/p.go":              undocumented,
		"sub/deeper/p.go":       undocumented,
		"sub/deeper/doc_ok.go":  "package p\n\n// Fine is fine.\nfunc Fine() {}\n",
		"sub/deeper/not_go.txt": undocumented,
	} {
		path = filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := check(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join("sub", "deeper", "p.go"), filepath.Join("sub", "p.go")} // sorted by file
	if len(got) != len(want) {
		t.Fatalf("got problems\n%s\nwant one in each of %q", strings.Join(got, "\n"), want)
	}
	for i := range got {
		if !strings.Contains(got[i], want[i]+":") || !strings.Contains(got[i], "Undocumented") {
			t.Errorf("problem %d: got %q, want one about Undocumented in %s", i, got[i], want[i])
		}
	}
}

// TestLibraryIsDocumented runs the check on the library itself, as CI does.
func TestLibraryIsDocumented(t *testing.T) {
	got, err := check("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		t.Error(p)
	}
}
