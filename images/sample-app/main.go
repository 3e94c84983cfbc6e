// Command sample-app is the tiny web server of Sluice's progressive-delivery and pipeline demos.
//
// It answers `/` with its version and hostname (or a 500, with probability ERROR_RATE), `/healthz`
// with 200, and `/metrics` in the Prometheus text format: a request counter by status code and a
// latency histogram, written by hand so the binary needs nothing but the standard library.
//
// Configuration (a flag wins over its environment variable):
//
//	PORT        --port        listen port (default 8080)
//	HOST        --host        listen address (default: every interface)
//	VERSION     --version     version reported by `/` (default "v1")
//	ERROR_RATE  --error-rate  probability 0..1 that `/` answers 500 (default 0)
//	LATENCY_MS  --latency-ms  delay added to every `/` request, in milliseconds (default 0)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sample-app:", err)
		os.Exit(2)
	}
	host, _ := os.Hostname()
	app := newApp(cfg, host)
	srv := &http.Server{
		Addr:              net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port)),
		Handler:           app.routes(),
		ReadHeaderTimeout: 5 * time.Second,
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("sample-app %s listening on %s (error rate %g, latency %s)",
		cfg.Version, srv.Addr, cfg.ErrorRate, cfg.Latency)

	select {
	case err := <-errc:
		log.Fatalf("sample-app: %v", err)
	case <-ctx.Done():
	}
	// Graceful shutdown: stop accepting, let requests in flight finish (Kubernetes waits 30s).
	log.Print("sample-app: SIGTERM, shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Fatalf("sample-app: shutdown: %v", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("sample-app: %v", err)
	}
}

// config is what the app is told to be.
type config struct {
	Host      string
	Port      int
	Version   string
	ErrorRate float64
	Latency   time.Duration
}

// parseConfig reads the environment first, then flags, so a flag overrides its variable.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	cfg := config{Port: 8080, Version: "v1"}
	fs := flag.NewFlagSet("sample-app", flag.ContinueOnError)
	host := fs.String("host", getenv("HOST"), "listen address (default: every interface)")
	port := fs.String("port", orDefault(getenv("PORT"), "8080"), "listen port")
	version := fs.String("version", orDefault(getenv("VERSION"), "v1"), "version reported by /")
	rate := fs.String("error-rate", orDefault(getenv("ERROR_RATE"), "0"), "probability 0..1 of a 500 on /")
	latency := fs.String("latency-ms", orDefault(getenv("LATENCY_MS"), "0"), "delay added to /, in ms")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	var err error
	if cfg.Port, err = strconv.Atoi(*port); err != nil || cfg.Port < 1 || cfg.Port > 65535 {
		return cfg, fmt.Errorf("port %q must be a number from 1 to 65535", *port)
	}
	if cfg.ErrorRate, err = strconv.ParseFloat(*rate, 64); err != nil || !(cfg.ErrorRate >= 0 && cfg.ErrorRate <= 1) {
		return cfg, fmt.Errorf("error rate %q must be a number from 0 to 1", *rate)
	}
	ms, err := strconv.Atoi(*latency)
	if err != nil || ms < 0 {
		return cfg, fmt.Errorf("latency %q must be a whole number of milliseconds, 0 or more", *latency)
	}
	cfg.Latency = time.Duration(ms) * time.Millisecond
	cfg.Version = *version
	cfg.Host = *host
	return cfg, nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
