// Command kubelet-shim is the kubelet endpoint of the fake (kwok) nodes in the
// spotguide test environment (scripts/testenv kube).
//
// kube-apiserver serves GET /api/v1/namespaces/N/pods/P/log by calling the
// kubelet of the pod's node. kwok has a kubelet server, but it answers a
// follow=true request by tailing a file forever: its runtime stub reports every
// container as running, so the stream never ends when the (fake) container
// exits, unlike a real kubelet. Plugins that stream logs until the container
// finishes would hang in tests. This shim serves containerLogs itself, from pod
// annotations, and ends a followed stream when the container has terminated
// (per the pod status that kwok writes). Every other kubelet path (exec,
// attach, portForward, metrics, ...) is passed through to kwok.
//
// Annotations read (the rest of the contract is in docs/testenv-kube.md):
//
//	spotguide.test/log-lines[.<container>]  text; one log line per line
//	spotguide.test/log-interval-ms          line i is written at startedAt + i*interval
//
// Standard library only, so it builds in seconds and needs no module downloads.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const annotationPrefix = "spotguide.test/"

type config struct {
	listen      string
	tlsCert     string
	tlsKey      string
	clientCA    string
	apiserver   string
	apiserverCA string
	cert        string
	key         string
	kwok        string
	poll        time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.listen, "listen", "127.0.0.1:16250", "address to serve the kubelet API on")
	flag.StringVar(&c.tlsCert, "tls-cert", "", "serving certificate")
	flag.StringVar(&c.tlsKey, "tls-key", "", "serving key")
	flag.StringVar(&c.clientCA, "client-ca", "", "CA that signed kube-apiserver's kubelet client certificate")
	flag.StringVar(&c.apiserver, "apiserver", "", "kube-apiserver URL, for reading pods")
	flag.StringVar(&c.apiserverCA, "apiserver-ca", "", "CA of kube-apiserver's serving certificate")
	flag.StringVar(&c.cert, "cert", "", "client certificate for kube-apiserver")
	flag.StringVar(&c.key, "key", "", "client key for kube-apiserver")
	flag.StringVar(&c.kwok, "kwok", "", "URL of kwok's kubelet server; other kubelet paths are proxied there")
	flag.DurationVar(&c.poll, "poll", 50*time.Millisecond, "how often a followed stream re-reads the pod status (the delay between a container exiting and its log follow ending)")
	flag.Parse()
	if err := run(c); err != nil {
		log.Fatal(err)
	}
}

func run(c config) error {
	for name, v := range map[string]string{"tls-cert": c.tlsCert, "tls-key": c.tlsKey, "client-ca": c.clientCA,
		"apiserver": c.apiserver, "apiserver-ca": c.apiserverCA, "cert": c.cert, "key": c.key, "kwok": c.kwok} {
		if v == "" {
			return fmt.Errorf("-%s is required", name)
		}
	}
	clientCAs, err := loadPool(c.clientCA)
	if err != nil {
		return err
	}
	apiCAs, err := loadPool(c.apiserverCA)
	if err != nil {
		return err
	}
	clientCert, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return err
	}
	servingCert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
	if err != nil {
		return err
	}
	kwokURL, err := url.Parse(c.kwok)
	if err != nil {
		return err
	}

	s := &shim{
		apiserver: strings.TrimRight(c.apiserver, "/"),
		client: &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{
				RootCAs: apiCAs, Certificates: []tls.Certificate{clientCert}, MinVersion: tls.VersionTLS12,
			}},
		},
		poll: c.poll,
	}
	// kwok's server presents the same CA-signed certificate as we do; it is
	// reached over loopback only.
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(kwokURL); r.Out.Host = r.In.Host },
		Transport: &http.Transport{TLSClientConfig: &tls.Config{
			RootCAs: apiCAs, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12,
		}},
		FlushInterval: -1,
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.Handle("GET /containerLogs/{namespace}/{pod}/{container}", requireClientCert(http.HandlerFunc(s.containerLogs)))
	mux.Handle("/", requireClientCert(proxy))

	srv := &http.Server{
		Addr:    c.listen,
		Handler: mux,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{servingCert},
			ClientCAs:    clientCAs,
			// /healthz must work without a client certificate (status checks).
			ClientAuth: tls.VerifyClientCertIfGiven,
			MinVersion: tls.VersionTLS12,
		},
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(os.Stderr, "http: ", log.LstdFlags),
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		// Followed streams never finish on their own; do not wait for them.
		_ = srv.Close()
	}()
	log.Printf("kubelet-shim listening on %s, proxying to %s", c.listen, c.kwok)
	if err := srv.ListenAndServeTLS("", ""); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func loadPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no certificates", file)
	}
	return pool, nil
}

func requireClientCert(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

type shim struct {
	apiserver string
	client    *http.Client
	poll      time.Duration
}

// Only the fields the shim reads.
type pod struct {
	Metadata struct {
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Status struct {
		ContainerStatuses     []containerStatus `json:"containerStatuses"`
		InitContainerStatuses []containerStatus `json:"initContainerStatuses"`
	} `json:"status"`
}

type containerStatus struct {
	Name  string `json:"name"`
	State struct {
		Waiting *struct {
			Reason string `json:"reason"`
		} `json:"waiting"`
		Running *struct {
			StartedAt time.Time `json:"startedAt"`
		} `json:"running"`
		Terminated *struct {
			StartedAt time.Time `json:"startedAt"`
		} `json:"terminated"`
	} `json:"state"`
}

var errPodGone = errors.New("pod not found")

func (s *shim) getPod(ctx context.Context, namespace, name string) (*pod, error) {
	u := fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s", s.apiserver, url.PathEscape(namespace), url.PathEscape(name))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, errPodGone
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	var p pod
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

func (p *pod) container(name string) *containerStatus {
	for _, list := range [][]containerStatus{p.Status.ContainerStatuses, p.Status.InitContainerStatuses} {
		for i := range list {
			if list[i].Name == name {
				return &list[i]
			}
		}
	}
	return nil
}

type logLine struct {
	at   time.Time
	text string
}

// lines returns the container's planned output: every line of the
// annotation, spaced by the interval from the container's start.
func (p *pod) lines(container string, started time.Time) []logLine {
	a := p.Metadata.Annotations
	text, ok := a[annotationPrefix+"log-lines."+container]
	if !ok {
		text = a[annotationPrefix+"log-lines"]
	}
	if text == "" {
		return nil
	}
	text = strings.TrimSuffix(text, "\n")
	var interval time.Duration
	if ms, err := strconv.ParseFloat(a[annotationPrefix+"log-interval-ms"], 64); err == nil && ms > 0 {
		interval = time.Duration(ms * float64(time.Millisecond))
	}
	var out []logLine
	for i, l := range strings.Split(text, "\n") {
		out = append(out, logLine{at: started.Add(time.Duration(i) * interval), text: l})
	}
	return out
}

type logOptions struct {
	follow     bool
	timestamps bool
	tailLines  int64 // -1: all
	limitBytes int64 // -1: unlimited
	since      time.Time
}

func parseLogOptions(q url.Values) (logOptions, error) {
	o := logOptions{tailLines: -1, limitBytes: -1}
	var err error
	parseBool := func(name string) bool {
		v := q.Get(name)
		if v == "" || err != nil {
			return false
		}
		b, e := strconv.ParseBool(v)
		if e != nil {
			err = fmt.Errorf("invalid %s %q", name, v)
		}
		return b
	}
	parseInt := func(name string, def int64) int64 {
		v := q.Get(name)
		if v == "" || err != nil {
			return def
		}
		n, e := strconv.ParseInt(v, 10, 64)
		if e != nil || n < 0 {
			err = fmt.Errorf("invalid %s %q", name, v)
		}
		return n
	}
	o.follow = parseBool("follow")
	o.timestamps = parseBool("timestamps")
	if q.Get("tail") != "" && q.Get("tail") != "all" && q.Get("tailLines") == "" {
		q.Set("tailLines", q.Get("tail"))
	}
	o.tailLines = parseInt("tailLines", -1)
	o.limitBytes = parseInt("limitBytes", -1)
	if s := parseInt("sinceSeconds", 0); s > 0 {
		o.since = time.Now().Add(-time.Duration(s) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" && err == nil {
		t, e := time.Parse(time.RFC3339, v)
		if e != nil {
			err = fmt.Errorf("invalid sinceTime %q", v)
		} else if t.After(o.since) {
			o.since = t
		}
	}
	if parseBool("previous") {
		err = errPrevious
	}
	return o, err
}

var errPrevious = errors.New("previous")

// limitWriter stops after limitBytes, like the kubelet.
type limitWriter struct {
	w      http.ResponseWriter
	remain int64 // -1: unlimited
}

func (l *limitWriter) writeLine(b []byte) (done bool) {
	if l.remain >= 0 && int64(len(b)) >= l.remain {
		_, _ = l.w.Write(b[:l.remain])
		l.remain = 0
		return true
	}
	_, _ = l.w.Write(b)
	if l.remain >= 0 {
		l.remain -= int64(len(b))
	}
	return false
}

func (s *shim) containerLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	opts, err := parseLogOptions(r.URL.Query())
	if errors.Is(err, errPrevious) {
		http.Error(w, fmt.Sprintf("previous terminated container %q in pod %q not found", container, name), http.StatusBadRequest)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	p, err := s.getPod(ctx, ns, name)
	if errors.Is(err, errPodGone) {
		http.Error(w, fmt.Sprintf("pod %s/%s not found", ns, name), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	cs := p.container(container)
	var started time.Time
	terminated := false
	switch {
	case cs != nil && cs.State.Terminated != nil:
		started, terminated = cs.State.Terminated.StartedAt, true
	case cs != nil && cs.State.Running != nil:
		started = cs.State.Running.StartedAt
	default:
		reason := "ContainerCreating"
		if cs != nil && cs.State.Waiting != nil && cs.State.Waiting.Reason != "" {
			reason = cs.State.Waiting.Reason
		}
		http.Error(w, fmt.Sprintf("container %q in pod %q is waiting to start: %s", container, name, reason), http.StatusBadRequest)
		return
	}
	lines := p.lines(container, started)

	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	out := &limitWriter{w: w, remain: opts.limitBytes}
	var buf bytes.Buffer
	emit := func(ls []logLine) (done bool) {
		for _, l := range ls {
			if !opts.since.IsZero() && l.at.Before(opts.since) {
				continue
			}
			buf.Reset()
			if opts.timestamps {
				buf.WriteString(l.at.UTC().Format(time.RFC3339Nano))
				buf.WriteByte(' ')
			}
			buf.WriteString(l.text)
			buf.WriteByte('\n')
			if out.writeLine(buf.Bytes()) {
				return true
			}
		}
		if flusher != nil {
			flusher.Flush()
		}
		return false
	}

	// What the container has "written" so far; tailLines applies to this part
	// only, as with a real kubelet.
	next := visible(lines, terminated, time.Now())
	initial := lines[:next]
	if opts.tailLines >= 0 && int64(len(initial)) > opts.tailLines {
		initial = initial[int64(len(initial))-opts.tailLines:]
	}
	if emit(initial) || !opts.follow {
		return
	}

	lastPoll := time.Now()
	for {
		if terminated && next == len(lines) {
			return
		}
		wait := s.poll
		if next < len(lines) {
			if d := time.Until(lines[next].at); d < wait {
				wait = max(d, 0)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if time.Since(lastPoll) >= s.poll {
			lastPoll = time.Now()
			p, err := s.getPod(ctx, ns, name)
			switch {
			case errors.Is(err, errPodGone):
				terminated = true
			case err != nil:
				// kube-apiserver may be restarting; keep the stream open.
			default:
				if cs := p.container(container); cs != nil && cs.State.Terminated != nil {
					terminated = true
				}
			}
		}
		n := visible(lines, terminated, time.Now())
		if n > next {
			if emit(lines[next:n]) {
				return
			}
			next = n
		}
	}
}

// visible is the number of lines written by now. A terminated container has
// written everything it was going to.
func visible(lines []logLine, terminated bool, now time.Time) int {
	if terminated {
		return len(lines)
	}
	n := 0
	for n < len(lines) && !lines[n].at.After(now) {
		n++
	}
	return n
}
