package errmsg_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A raise is one place orgd's code builds a model error: the exception,
// its reason ("" for none) and the format string it passes.
type raise struct {
	Where     string
	Exception string
	Reason    string
	Key       string
}

// raisingPackages are the packages that build the model's errors.
var raisingPackages = []string{"../org", "../wire"}

// apiFacts reads, from the generated api package, which constructor
// builds which exception (and whether it takes a reason), and the values
// of its string constants (reasons, exception names).
func apiFacts(t *testing.T) (ctors map[string]ctor, consts map[string]string) {
	t.Helper()
	ctors, consts = map[string]ctor{}, map[string]string{}
	fset := token.NewFileSet()
	for _, name := range []string{"errors_gen.go", "enums_gen.go"} {
		f, err := parser.ParseFile(fset, filepath.Join("../api", name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range stringConsts(f) {
			consts[k] = v
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || len(fn.Body.List) != 1 {
				continue
			}
			ret, ok := fn.Body.List[0].(*ast.ReturnStmt)
			if !ok || len(ret.Results) != 1 {
				continue
			}
			call, ok := ret.Results[0].(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				continue
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "newError" {
				continue
			}
			exc, ok := literal(call.Args[0])
			if !ok {
				continue
			}
			ctors[fn.Name.Name] = ctor{Exception: exc, HasReason: len(fn.Type.Params.List) == 3}
		}
	}
	if len(ctors) == 0 {
		t.Fatal("no constructors found in the api package")
	}
	return ctors, consts
}

type ctor struct {
	Exception string
	HasReason bool
}

func literal(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// stringConsts returns the file's constants whose value is a string
// literal.
func stringConsts(f *ast.File) map[string]string {
	out := map[string]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if i < len(vs.Values) {
					if s, ok := literal(vs.Values[i]); ok {
						out[n.Name] = s
					}
				}
			}
		}
	}
	return out
}

// A wrapper is a function (or a closure assigned to a name) that passes
// its own format parameter, and perhaps its reason parameter, to a
// constructor: invalidPolicyJSON(format, args...).
type wrapper struct {
	Exception   string
	Reason      string // when fixed
	ReasonParam int    // -1 when fixed
	FormatParam int
}

// scanRaises finds every constructor call in the raising packages, and
// every call of the helpers that wrap one, and resolves its exception,
// reason and format. What it cannot resolve fails the test: every raise
// must name its situation with a constant.
func scanRaises(t *testing.T) []raise {
	t.Helper()
	ctors, apiConsts := apiFacts(t)
	var out []raise
	for _, dir := range raisingPackages {
		fset := token.NewFileSet()
		pkgs, err := parser.ParseDir(fset, dir, func(fi fs.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, pkg := range pkgs {
			out = append(out, scanPackage(t, fset, pkg, ctors, apiConsts)...)
		}
	}
	return out
}

func scanPackage(t *testing.T, fset *token.FileSet, pkg *ast.Package, ctors map[string]ctor, apiConsts map[string]string) []raise {
	consts := map[string]string{}
	for _, f := range pkg.Files {
		for k, v := range stringConsts(f) {
			consts[k] = v
		}
	}
	value := func(e ast.Expr) (string, bool) {
		switch x := e.(type) {
		case *ast.BasicLit:
			return literal(x)
		case *ast.Ident:
			v, ok := consts[x.Name]
			return v, ok
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "api" {
				v, ok := apiConsts[x.Sel.Name]
				return v, ok
			}
		case *ast.CallExpr:
			// A conversion of a constant: api.InvalidInputExceptionReason("X").
			if len(x.Args) == 1 {
				if s, ok := literal(x.Args[0]); ok {
					return s, true
				}
			}
		}
		return "", false
	}
	var out []raise
	wrappers := map[string]wrapper{}
	// params maps a function's parameter names to their positions.
	params := func(ft *ast.FuncType) map[string]int {
		m := map[string]int{}
		i := 0
		for _, f := range ft.Params.List {
			for _, n := range f.Names {
				m[n.Name] = i
				i++
			}
		}
		return m
	}
	// visit scans one function body; name is the function's (or the
	// closure variable's) name, for wrappers.
	var visit func(name string, ft *ast.FuncType, body ast.Node)
	visit = func(name string, ft *ast.FuncType, body ast.Node) {
		ps := params(ft)
		ast.Inspect(body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.AssignStmt:
				if len(x.Lhs) == 1 && len(x.Rhs) == 1 {
					if id, ok := x.Lhs[0].(*ast.Ident); ok {
						if fl, ok := x.Rhs[0].(*ast.FuncLit); ok {
							visit(id.Name, fl.Type, fl.Body)
							return false
						}
					}
				}
			case *ast.CallExpr:
				sel, ok := x.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); !ok || id.Name != "api" {
					return true
				}
				c, ok := ctors[sel.Sel.Name]
				if !ok {
					return true
				}
				where := fset.Position(x.Pos()).String()
				fi := 0
				r := raise{Where: where, Exception: c.Exception}
				w := wrapper{Exception: c.Exception, ReasonParam: -1, FormatParam: -1}
				if c.HasReason {
					fi = 1
					if v, ok := value(x.Args[0]); ok {
						r.Reason, w.Reason = v, v
					} else if id, ok := x.Args[0].(*ast.Ident); ok {
						if i, param := ps[id.Name]; param {
							w.ReasonParam = i
						}
					}
					if w.ReasonParam < 0 && r.Reason == "" {
						t.Errorf("%s: the reason of %s is not a constant", where, c.Exception)
						return true
					}
				}
				if len(x.Args) <= fi {
					t.Errorf("%s: %s without a format", where, c.Exception)
					return true
				}
				if v, ok := value(x.Args[fi]); ok && w.ReasonParam < 0 {
					r.Key = v
					out = append(out, r)
					return true
				}
				if id, ok := x.Args[fi].(*ast.Ident); ok {
					if i, ok := ps[id.Name]; ok && name != "" {
						w.FormatParam = i
						wrappers[name] = w
						return true
					}
				}
				t.Errorf("%s: the format of %s is neither a constant nor the parameter of a wrapper", where, c.Exception)
			}
			return true
		})
	}
	for _, f := range pkg.Files {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Body != nil {
				visit(fn.Name.Name, fn.Type, fn.Body)
			}
		}
	}
	// Calls of the wrappers.
	for _, f := range pkg.Files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			w, ok := wrappers[id.Name]
			if !ok {
				return true
			}
			where := fset.Position(call.Pos()).String()
			r := raise{Where: where, Exception: w.Exception, Reason: w.Reason}
			if w.ReasonParam >= 0 {
				v, ok := value(call.Args[w.ReasonParam])
				if !ok {
					t.Errorf("%s: the reason passed to %s is not a constant", where, id.Name)
					return true
				}
				r.Reason = v
			}
			if w.FormatParam >= len(call.Args) {
				return true
			}
			v, ok := value(call.Args[w.FormatParam])
			if !ok {
				// A wrapper passing its format on is itself a wrapper
				// call inside another wrapper: not a raise of its own.
				if _, param := call.Args[w.FormatParam].(*ast.Ident); param {
					return true
				}
				t.Errorf("%s: the format passed to %s is not a constant", where, id.Name)
				return true
			}
			r.Key = v
			out = append(out, r)
			return true
		})
	}
	return out
}
