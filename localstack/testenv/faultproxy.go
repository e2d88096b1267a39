package testenv

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is what a FaultProxy does to one request.
type Fault int

const (
	Pass      Fault = iota // forward untouched
	SlowDown               // answer 503 SlowDown without forwarding
	Reset                  // close the connection without an answer
	Slow                   // forward after a delay
	ServerErr              // answer 500 InternalError without forwarding
)

// FaultProxy is an HTTP proxy on 127.0.0.1 in front of a server, which
// injects faults into the requests it forwards. Decide picks the fault of
// request number n (from 1); it is called from many goroutines.
type FaultProxy struct {
	URL      string
	Requests atomic.Int64
	Faults   atomic.Int64
	Decide   func(n int64) Fault
	Delay    time.Duration

	mu        sync.Mutex
	exchanges []Exchange
}

// Exchange is a request the proxy forwarded to the server, and its answer.
type Exchange struct {
	Method, Path string
	// Sent and Received are the bytes of the request's body and of the
	// response's: what went through the client.
	Sent, Received int64
}

// Exchanges returns the requests forwarded so far, in the order their
// responses went back to the client.
func (p *FaultProxy) Exchanges() []Exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.exchanges)
}

// NewFaultProxy starts a proxy to target (http://host:port) for the test.
func NewFaultProxy(t testing.TB, target string, decide func(n int64) Fault) *FaultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{URL: "http://" + ln.Addr().String(), Decide: decide, Delay: 300 * time.Millisecond}
	targetHost := target[len("http://"):]
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close() // idle keep-alive connections
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.serve(c, targetHost)
			}()
		}
	}()
	return p
}

func (p *FaultProxy) serve(c net.Conn, target string) {
	defer c.Close()
	br := bufio.NewReader(c)
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	ur := bufio.NewReader(up)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		// Ask for the body now, so that the client sends it whatever this
		// proxy then does with the request.
		if req.Header.Get("Expect") == "100-continue" {
			req.Header.Del("Expect")
			if _, err := io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
				return
			}
		}
		n := p.Requests.Add(1)
		f := p.Decide(n)
		if f != Pass {
			p.Faults.Add(1)
		}
		switch f {
		case Reset:
			io.Copy(io.Discard, req.Body)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			return
		case SlowDown, ServerErr:
			io.Copy(io.Discard, req.Body)
			code, name := 503, "SlowDown"
			if f == ServerErr {
				code, name = 500, "InternalError"
			}
			body := "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + name + "</Code><Message>injected by the test</Message></Error>"
			// Request makes Write leave out the body of an answer to HEAD,
			// as a real server does.
			resp := &http.Response{StatusCode: code, ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Content-Type": {"application/xml"}},
				ContentLength: int64(len(body)), Body: io.NopCloser(strings.NewReader(body)), Request: req}
			if resp.Write(c) != nil {
				return
			}
			continue
		case Slow:
			time.Sleep(p.Delay)
		}
		x := Exchange{Method: req.Method, Path: req.URL.Path}
		req.Body = countBody(req.Body, &x.Sent)
		if err := req.Write(up); err != nil {
			return
		}
		resp, err := http.ReadResponse(ur, req)
		if err != nil {
			return
		}
		resp.Body = countBody(resp.Body, &x.Received)
		err = resp.Write(c)
		resp.Body.Close()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.exchanges = append(p.exchanges, x)
		p.mu.Unlock()
	}
}

// countBody adds the bytes read from body to n. An empty body stays
// http.NoBody: Write then sends it as it came, without probing it.
func countBody(body io.ReadCloser, n *int64) io.ReadCloser {
	if body == nil || body == http.NoBody {
		return body
	}
	return &countedBody{body, n}
}

type countedBody struct {
	io.ReadCloser
	n *int64
}

func (b *countedBody) Read(p []byte) (int, error) {
	k, err := b.ReadCloser.Read(p)
	*b.n += int64(k)
	return k, err
}
