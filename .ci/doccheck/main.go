// Command doccheck fails if an exported identifier of the library has no
// doc comment, or one that does not start with its name.
//
//	go run ./.ci/doccheck [dir]
//
// It checks every package under dir (default "."), the root of the library
// module, except directories that hold another module (a go.mod of their
// own: integration, examples), testdata, and those whose name starts with
// "." or "_", and except _test.go files. Each exported type, function,
// constant and variable, and each exported method of an exported type,
// needs a doc comment whose first word is its name ("Close flushes …"; for
// a type, "A Sink is …" or "The Sink …" too). A constant or variable in a
// parenthesised group may instead rely on the group's doc comment. Struct
// fields and interface methods are not checked.
//
// It prints one line per problem, file:line: message, and exits with
// status 1 if there is any.
package main

import (
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

func main() {
	root := "."
	switch len(os.Args) {
	case 1:
	case 2:
		root = os.Args[1]
	default:
		fmt.Fprintln(os.Stderr, "usage: doccheck [dir]")
		os.Exit(2)
	}
	problems, err := check(root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "doccheck:", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "doccheck: %d exported identifiers without a doc comment that starts with their name\n", len(problems))
		os.Exit(1)
	}
}

// problem is one identifier wrongly documented.
type problem struct {
	pos token.Position
	msg string
}

// check returns the problems found in the packages under root, sorted by
// file and line, as "file:line:column: message".
func check(root string) ([]string, error) {
	var problems []problem
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if path != root {
			name := d.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		ps, err := checkDir(path)
		problems = append(problems, ps...)
		return err
	})
	sort.Slice(problems, func(i, j int) bool {
		a, b := problems[i].pos, problems[j].pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = p.pos.String() + ": " + p.msg
	}
	return out, err
}

// checkDir checks the package in dir, if any.
func checkDir(dir string) ([]problem, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	byPkg := map[string][]*ast.File{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		byPkg[f.Name.Name] = append(byPkg[f.Name.Name], f)
	}
	var problems []problem
	for _, files := range byPkg {
		p, err := doc.NewFromFiles(fset, files, "example.com/"+filepath.ToSlash(dir))
		if err != nil {
			return nil, err
		}
		c := checker{fset: fset}
		c.values(p.Consts, "constant")
		c.values(p.Vars, "variable")
		c.funcs(p.Funcs, "")
		for _, t := range p.Types {
			c.named(t.Decl, t.Name, "type "+t.Name, t.Doc, true)
			c.values(t.Consts, "constant")
			c.values(t.Vars, "variable")
			c.funcs(t.Funcs, "")
			c.funcs(t.Methods, t.Name)
		}
		problems = append(problems, c.problems...)
	}
	return problems, nil
}

// checker collects the problems of one package.
type checker struct {
	fset     *token.FileSet
	problems []problem
}

func (c *checker) report(n ast.Node, format string, args ...any) {
	c.problems = append(c.problems, problem{c.fset.Position(n.Pos()), fmt.Sprintf(format, args...)})
}

// named checks that text, the doc comment of what declares name, starts
// with name (or, for a type, with an article and name).
func (c *checker) named(n ast.Node, name, what, text string, article bool) {
	if strings.TrimSpace(text) == "" {
		c.report(n, "exported %s has no doc comment", what)
		return
	}
	if !startsWith(text, name, article) {
		first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
		c.report(n, "doc comment of exported %s should start with %q, not %q", what, name, first)
	}
}

func (c *checker) funcs(fs []*doc.Func, recv string) {
	for _, f := range fs {
		if f.Level > 0 {
			continue // promoted from an embedded type: checked where declared
		}
		what := "function " + f.Name
		if recv != "" {
			if !ast.IsExported(f.Name) {
				continue
			}
			what = "method " + recv + "." + f.Name
		}
		c.named(f.Decl, f.Name, what, f.Doc, false)
	}
}

// values checks one const or var declaration: a parenthesised group with a
// doc comment is documented; otherwise each exported name needs a doc
// comment starting with one of the names of its line.
func (c *checker) values(vs []*doc.Value, kind string) {
	for _, v := range vs {
		grouped := v.Decl.Lparen.IsValid()
		if grouped && strings.TrimSpace(v.Doc) != "" {
			continue
		}
		for _, spec := range v.Decl.Specs {
			vspec := spec.(*ast.ValueSpec)
			var names []string
			for _, n := range vspec.Names {
				if ast.IsExported(n.Name) {
					names = append(names, n.Name)
				}
			}
			if len(names) == 0 {
				continue
			}
			text := v.Doc
			if grouped {
				text = vspec.Doc.Text()
			}
			what := kind + " " + strings.Join(names, ", ")
			if strings.TrimSpace(text) == "" {
				if grouped {
					c.report(vspec, "exported %s has no doc comment, nor has its group", what)
				} else {
					c.report(vspec, "exported %s has no doc comment", what)
				}
				continue
			}
			ok := false
			for _, n := range names {
				ok = ok || startsWith(text, n, false)
			}
			if !ok {
				first, _, _ := strings.Cut(strings.TrimSpace(text), "\n")
				c.report(vspec, "doc comment of exported %s should start with %q, not %q", what, names[0], first)
			}
		}
	}
}

// startsWith reports whether text starts with the word name, optionally
// after "A ", "An " or "The ".
func startsWith(text, name string, article bool) bool {
	text = strings.TrimSpace(text)
	if article {
		for _, a := range []string{"A ", "An ", "The "} {
			if rest, ok := strings.CutPrefix(text, a); ok && startsWith(rest, name, false) {
				return true
			}
		}
	}
	rest, ok := strings.CutPrefix(text, name)
	if !ok {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_')
}
