package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orgd/orgd/internal/api"
)

var funcs = template.FuncMap{
	"prefix": func() string { return Prefix },
	// when shows a time on the server clock, in UTC.
	"when": func(t any) string {
		var tt time.Time
		switch v := t.(type) {
		case api.Time:
			tt = v.Time
		case time.Time:
			tt = v
		}
		if tt.IsZero() {
			return "—"
		}
		return tt.UTC().Format("2006-01-02 15:04 UTC")
	},
	"iso": func(t any) string {
		switch v := t.(type) {
		case api.Time:
			return v.UTC().Format(time.RFC3339)
		case time.Time:
			return v.UTC().Format(time.RFC3339)
		}
		return ""
	},
	// css turns an enum value into a class name: ACTIVE → active.
	"css": func(s any) string { return strings.ToLower(strings.ReplaceAll(fmt.Sprint(s), "_", "-")) },
	// words turns an enum value into words: SERVICE_CONTROL_POLICY →
	// Service control policy.
	"words": func(s any) string {
		w := strings.ToLower(strings.ReplaceAll(fmt.Sprint(s), "_", " "))
		if w == "" {
			return ""
		}
		return strings.ToUpper(w[:1]) + w[1:]
	},
	// dict passes several values to a template: dict "k1" v1 "k2" v2.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	// policies names a policy type's policies: SERVICE_CONTROL_POLICY →
	// Service control policies.
	"policies": func(t any) string {
		w := strings.ToLower(strings.ReplaceAll(fmt.Sprint(t), "_", " "))
		w = strings.TrimSuffix(w, " policy") + " policies"
		return strings.ToUpper(w[:1]) + w[1:]
	},
	"percent": func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) + "%" },
}

// pages holds every page parsed with the layout around it, parsed when
// the console first shows one: the parse trees, one copy of the layout
// for each page, take some 2.5 MB, a tenth of an idle server's RSS, that
// a server whose console nobody opens need not hold.
var pages = sync.OnceValue(parsePages)

// parsePages parses every page with the layout around it; a fragment
// (children) is a page without one.
func parsePages() map[string]*template.Template {
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" || name == "parts" {
			continue
		}
		pages[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, n))
	}
	return pages
}

// fragments are the pages served without the layout.
var fragments = map[string]bool{"children": true}

// render writes page name with p, whole, with the status: a template
// that fails shows as an error, not as half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t := pages()[name]
	entry := "layout.html"
	if fragments[name] {
		entry = name
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, entry, p); err != nil {
		c.cfg.Log.Error("console template", "page", name, "err", err)
		http.Error(w, "the console could not show this page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	// Everything is the console's own: no inline script, no other origin,
	// no framing (clickjacking the handshake buttons).
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
