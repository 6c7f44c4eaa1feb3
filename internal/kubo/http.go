package kubo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// The daemon's RPC API, for what the CLI would only slow down: readiness
// polling, and adding and fetching without a process per call.

// apiClient talks to loopback only, never through a proxy, and keeps no idle
// connections (no goroutines left behind for leak checks, none to daemons
// already stopped).
var apiClient = &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true, DisableKeepAlives: true}}

type identity struct {
	ID        string
	Addresses []string
}

func (d *Daemon) identify(ctx context.Context) (identity, error) {
	var id identity
	resp, err := d.post(ctx, "id", nil, nil, "")
	if err != nil {
		return id, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&id); err != nil {
		return id, fmt.Errorf("kubo API id: %w", err)
	}
	return id, nil
}

// AddHTTP is AddReader through the RPC API (/api/v0/add) instead of a CLI
// process, with the same DAG parameters.
func (d *Daemon) AddHTTP(ctx context.Context, r io.Reader) (string, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	done := make(chan struct{})
	go func() {
		defer close(done)
		part, err := mw.CreateFormFile("file", "data")
		if err == nil {
			_, err = io.Copy(part, r)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	q := url.Values{
		"quiet": {"true"}, "progress": {"false"}, "cid-version": {"1"}, "raw-leaves": {"true"},
		"chunker": {chunker}, "hash": {"sha2-256"},
	}
	resp, err := d.post(ctx, "add", q, pr, mw.FormDataContentType())
	// kubo answers with headers before it has read the upload, so the
	// writer may still be busy: stop it only once the response is done,
	// and wait for it, so r is the caller's again on return.
	stop := func() {
		pr.CloseWithError(io.ErrClosedPipe)
		<-done
	}
	if err != nil {
		stop()
		return "", err
	}
	defer stop()
	defer resp.Body.Close()
	var root string
	dec := json.NewDecoder(resp.Body)
	for {
		var ev struct{ Hash string }
		if err := dec.Decode(&ev); err == io.EOF {
			break
		} else if err != nil {
			return "", fmt.Errorf("kubo API add: %w", err)
		}
		if ev.Hash != "" {
			root = ev.Hash
		}
	}
	if err := streamError(resp); err != nil {
		return "", fmt.Errorf("kubo API add: %w", err)
	}
	if root == "" {
		return "", fmt.Errorf("kubo API add: no CID in the response")
	}
	return root, nil
}

// CatHTTP is CatTo through the RPC API (/api/v0/cat).
func (d *Daemon) CatHTTP(ctx context.Context, cid string, w io.Writer) error {
	resp, err := d.post(ctx, "cat", url.Values{"arg": {cid}}, nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("kubo API cat %s: %w", cid, err)
	}
	if err := streamError(resp); err != nil {
		return fmt.Errorf("kubo API cat %s: %w", cid, err)
	}
	return nil
}

// post calls /api/v0/<cmd>; a status other than 200 is an error carrying
// kubo's message.
func (d *Daemon) post(ctx context.Context, cmd string, q url.Values, body io.Reader, contentType string) (*http.Response, error) {
	if d.apiURL == "" {
		return nil, fmt.Errorf("kubo daemon not started")
	}
	u := d.apiURL + "/api/v0/" + cmd
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("kubo API %s: %w", cmd, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
		var e struct{ Message string }
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			msg = e.Message
		}
		return nil, fmt.Errorf("kubo API %s: %s: %s", cmd, resp.Status, msg)
	}
	return resp, nil
}

// streamError is the error kubo reports in a trailer after streaming part of
// a response.
func streamError(resp *http.Response) error {
	if msg := resp.Trailer.Get("X-Stream-Error"); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	return nil
}
