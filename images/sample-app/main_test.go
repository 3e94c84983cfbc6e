package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    config
		wantErr string
	}{
		{name: "defaults", want: config{Port: 8080, Version: "v1"}},
		{
			name: "environment",
			env:  map[string]string{"PORT": "9000", "VERSION": "v2", "ERROR_RATE": "0.25", "LATENCY_MS": "40"},
			want: config{Port: 9000, Version: "v2", ErrorRate: 0.25, Latency: 40 * time.Millisecond},
		},
		{
			name: "flags win over the environment",
			args: []string{"--version", "v3", "--error-rate", "1", "--host", "127.0.0.1"},
			env:  map[string]string{"VERSION": "v2", "ERROR_RATE": "0.5", "HOST": "0.0.0.0"},
			want: config{Host: "127.0.0.1", Port: 8080, Version: "v3", ErrorRate: 1},
		},
		{name: "error rate above 1", env: map[string]string{"ERROR_RATE": "1.5"}, wantErr: "error rate"},
		{name: "error rate not a number", args: []string{"--error-rate", "x"}, wantErr: "error rate"},
		{name: "port out of range", env: map[string]string{"PORT": "70000"}, wantErr: "port"},
		{name: "port with trailing junk", env: map[string]string{"PORT": "8080x"}, wantErr: "port"},
		{name: "error rate NaN", env: map[string]string{"ERROR_RATE": "NaN"}, wantErr: "error rate"},
		{name: "negative latency", env: map[string]string{"LATENCY_MS": "-1"}, wantErr: "latency"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseConfig(c.args, env(c.env))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want an error about %q, got %v", c.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec
}

func TestRootAnswersVersionAndHostname(t *testing.T) {
	a := newApp(config{Port: 8080, Version: "v7"}, "pod-1")
	rec := get(t, a.routes(), "/")
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	var body rootBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Version != "v7" || body.Hostname != "pod-1" || body.Error != "" {
		t.Fatalf("body %+v", body)
	}
}

func TestErrorRateAndMetrics(t *testing.T) {
	a := newApp(config{Port: 8080, Version: "v1", ErrorRate: 0.5}, "h")
	rolls := []float64{0.1, 0.9, 0.49, 0.5} // below 0.5 fails
	a.roll = func() float64 { r := rolls[0]; rolls = rolls[1:]; return r }
	h := a.routes()
	codes := []int{}
	for range 4 {
		codes = append(codes, get(t, h, "/").Code)
	}
	if want := []int{500, 200, 500, 200}; !equal(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	text := get(t, h, "/metrics").Body.String()
	for _, line := range []string{
		`http_requests_total{code="200",path="/"} 2`,
		`http_requests_total{code="500",path="/"} 2`,
		`http_request_duration_seconds_bucket{path="/",le="+Inf"} 4`,
		`http_request_duration_seconds_count{path="/"} 4`,
		"# TYPE http_request_duration_seconds histogram",
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %q:\n%s", line, text)
		}
	}
}

func TestHistogramBucketsAreCumulative(t *testing.T) {
	m := newMetrics()
	m.observe("/", 200, 3*time.Millisecond)
	m.observe("/", 200, 200*time.Millisecond)
	m.observe("/", 200, 20*time.Second)
	text := m.render()
	for _, line := range []string{
		`http_request_duration_seconds_bucket{path="/",le="0.005"} 1`,
		`http_request_duration_seconds_bucket{path="/",le="0.25"} 2`,
		`http_request_duration_seconds_bucket{path="/",le="10"} 2`,
		`http_request_duration_seconds_bucket{path="/",le="+Inf"} 3`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("metrics lack %q:\n%s", line, text)
		}
	}
}

func TestHealthzAndUnknownPaths(t *testing.T) {
	h := newApp(config{Port: 8080, Version: "v1"}, "h").routes()
	if c := get(t, h, "/healthz").Code; c != 200 {
		t.Fatalf("/healthz %d", c)
	}
	if c := get(t, h, "/nope").Code; c != 404 {
		t.Fatalf("/nope %d", c)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
