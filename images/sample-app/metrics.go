// Prometheus metrics of sample-app, kept in memory and rendered in the text exposition format.
package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// buckets are the histogram's upper bounds in seconds (Prometheus' defaults).
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type series struct {
	path string
	code int
}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	total  uint64
}

type metrics struct {
	mu        sync.Mutex
	requests  map[series]uint64
	durations map[string]*histogram
}

func newMetrics() *metrics {
	m := &metrics{requests: map[series]uint64{}, durations: map[string]*histogram{}}
	// Both codes exist from the start, so a rate() of failures is 0, not "no data".
	m.requests[series{"/", 200}] = 0
	m.requests[series{"/", 500}] = 0
	m.durations["/"] = &histogram{counts: make([]uint64, len(buckets))}
	return m
}

func (m *metrics) observe(path string, code int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[series{path, code}]++
	h, ok := m.durations[path]
	if !ok {
		h = &histogram{counts: make([]uint64, len(buckets))}
		m.durations[path] = h
	}
	s := d.Seconds()
	for i, le := range buckets {
		if s <= le {
			h.counts[i]++
			break
		}
	}
	h.sum += s
	h.total++
}

// render writes the text exposition format (version 0.0.4), series in a stable order.
func (m *metrics) render() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	b.WriteString("# HELP http_requests_total HTTP requests served, by status code and path.\n")
	b.WriteString("# TYPE http_requests_total counter\n")
	keys := make([]series, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].path != keys[j].path {
			return keys[i].path < keys[j].path
		}
		return keys[i].code < keys[j].code
	})
	for _, k := range keys {
		fmt.Fprintf(&b, "http_requests_total{code=%q,path=%q} %d\n", strconv.Itoa(k.code), k.path, m.requests[k])
	}
	b.WriteString("# HELP http_request_duration_seconds Time to answer an HTTP request.\n")
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	paths := make([]string, 0, len(m.durations))
	for p := range m.durations {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		h := m.durations[p]
		var cum uint64
		for i, le := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "http_request_duration_seconds_bucket{path=%q,le=%q} %d\n", p, formatFloat(le), cum)
		}
		fmt.Fprintf(&b, "http_request_duration_seconds_bucket{path=%q,le=\"+Inf\"} %d\n", p, h.total)
		fmt.Fprintf(&b, "http_request_duration_seconds_sum{path=%q} %s\n", p, formatFloat(h.sum))
		fmt.Fprintf(&b, "http_request_duration_seconds_count{path=%q} %d\n", p, h.total)
	}
	return b.String()
}

func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}
