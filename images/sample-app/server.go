// The HTTP handlers of sample-app: `/`, `/healthz` and `/metrics`.
package main

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"time"
)

// app serves the routes; roll decides whether a request fails (a seam for tests).
type app struct {
	cfg     config
	host    string
	metrics *metrics
	roll    func() float64
}

func newApp(cfg config, host string) *app {
	return &app{cfg: cfg, host: host, metrics: newMetrics(), roll: rand.Float64}
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.root)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(a.metrics.render()))
	})
	return mux
}

type rootBody struct {
	Version  string `json:"version"`
	Hostname string `json:"hostname"`
	Error    string `json:"error,omitempty"`
}

func (a *app) root(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if a.cfg.Latency > 0 {
		select {
		case <-time.After(a.cfg.Latency):
		case <-r.Context().Done():
		}
	}
	body := rootBody{Version: a.cfg.Version, Hostname: a.host}
	code := http.StatusOK
	// roll() is in [0,1): a rate of 0 never fails, a rate of 1 always does.
	if a.roll() < a.cfg.ErrorRate {
		code = http.StatusInternalServerError
		body.Error = "injected failure (ERROR_RATE)"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
	a.metrics.observe("/", code, time.Since(start))
}
