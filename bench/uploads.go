package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/parleychat/parley/protocol"
)

// uploadThroughput uploads the same multipart body to Parley, as the
// visitor of a chat, and to a bare handler that reads it into io.Discard;
// each figure is the median of uploadRuns, in MB/s.
func uploadThroughput(ctx context.Context, p *parley) (parleyMBs, bareMBs, syncedMBs float64, err error) {
	chats, err := openChats(ctx, 1, false, p)
	if err != nil {
		return 0, 0, 0, err
	}
	defer closeChats(chats)
	chats[0].visitor.drain()
	// A photo: a JPEG's signature, then compressed data, as good as
	// random. Text with no line break would be mime/multipart's worst
	// case, its search for the boundary looking back through everything
	// it peeked.
	content := make([]byte, uploadBytes)
	_, _ = rand.NewChaCha8([32]byte{}).Read(content)
	copy(content, "\xff\xd8\xff\xe0")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", "bench.jpg")
	if err == nil {
		_, err = part.Write(content)
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return 0, 0, 0, err
	}
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}))
	defer bare.Close()
	// The floor of an upload that is durable before it is acknowledged:
	// the body written to a file beside Parley's data, synced, renamed
	// into place and the directory synced, as the SQLite store does.
	synced := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := syncedUpload(filepath.Dir(p.dataDir), r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	}))
	defer synced.Close()
	measure := func(url, auth string) (float64, error) {
		var rates []float64
		for range uploadRuns {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body.Bytes()))
			if err != nil {
				cancel()
				return 0, err
			}
			req.Header.Set("Content-Type", mw.FormDataContentType())
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("POST %s: %s", url, resp.Status)
				}
			}
			elapsed := time.Since(start)
			cancel()
			if err != nil {
				return 0, err
			}
			rates = append(rates, float64(uploadBytes)/1e6/elapsed.Seconds())
		}
		return median(rates), nil
	}
	if parleyMBs, err = measure(p.url+protocol.PathFiles, chats[0].visitor.creds.Authorization()); err != nil {
		return 0, 0, 0, err
	}
	if bareMBs, err = measure(bare.URL, ""); err != nil {
		return 0, 0, 0, err
	}
	syncedMBs, err = measure(synced.URL, "")
	return parleyMBs, bareMBs, syncedMBs, err
}

// syncedUpload writes body to a new file in dir, durably: synced, renamed
// into place, the directory synced; then removes it.
func syncedUpload(dir string, body io.Reader) error {
	f, err := os.CreateTemp(dir, "parley-bench-upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(f, body)
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	final := f.Name() + ".done"
	if err := os.Rename(f.Name(), final); err != nil {
		return err
	}
	defer os.Remove(final)
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
