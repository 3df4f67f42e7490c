package httpapi

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

type openAPIDocument struct {
	OpenAPI string                                `json:"openapi"`
	Paths   map[string]map[string]json.RawMessage `json:"paths"`
}

// TestOpenAPIMatchesRoutes checks that the document describes exactly the
// registered routes, and that the mux serves every documented operation.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	srv, _ := newTestAPI(t)
	var doc openAPIDocument
	if s := call(t, "GET", srv.URL+"/api/v1/openapi.json", testToken, "", &doc); s != 200 {
		t.Fatalf("openapi.json: %d", s)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	var registered []string
	for _, r := range routes {
		registered = append(registered, r.method+" "+r.path)
	}
	slices.Sort(documented)
	slices.Sort(registered)
	if !slices.Equal(documented, registered) {
		t.Fatalf("document and routes differ:\ndocumented %q\nregistered %q", documented, registered)
	}
	for _, op := range documented {
		t.Run(op, func(t *testing.T) {
			method, path, _ := strings.Cut(op, " ")
			path = strings.ReplaceAll(path, "{id}", "h1")
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var eb errorBody
			_ = json.NewDecoder(resp.Body).Decode(&eb)
			if resp.StatusCode == http.StatusMethodNotAllowed || eb.Error.Code == "no_route" {
				t.Fatalf("mux does not serve %s: %d %+v", op, resp.StatusCode, eb)
			}
		})
	}
}

// TestOpenAPIRefsResolve checks that every $ref in the document points at a
// component that exists.
func TestOpenAPIRefsResolve(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					ref, _ := x.(string)
					var cur any = doc
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						m, _ := cur.(map[string]any)
						cur = m[part]
					}
					if cur == nil {
						t.Errorf("unresolved $ref %q", ref)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
}
