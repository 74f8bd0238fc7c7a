package widget

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
)

// verbs finds the fmt verbs a text fills in.
var verbs = regexp.MustCompile(`%[sd%]`)

// TestEveryLanguageHasEveryText reads each catalogue in web/i18n: every text
// English has is there, with the same verbs in the same order, and nothing
// else is.
func TestEveryLanguageHasEveryText(t *testing.T) {
	t.Parallel()
	for lang := range languages {
		if lang == "en" {
			continue
		}
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(filepath.Join("..", "web", "i18n", lang+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var tx Texts
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&tx); err != nil {
				t.Fatalf("%s.json: %v", lang, err)
			}
			want, got := reflect.ValueOf(english), reflect.ValueOf(tx)
			for i := range want.NumField() {
				name := want.Type().Field(i).Name
				if s, ok := want.Field(i).Interface().(string); ok {
					translated := got.Field(i).String()
					if translated == "" {
						t.Errorf("%s is missing", name)
					} else if !reflect.DeepEqual(verbs.FindAllString(translated, -1), verbs.FindAllString(s, -1)) {
						t.Errorf("%s: %q fills in %v, English %v", name, translated, verbs.FindAllString(translated, -1), verbs.FindAllString(s, -1))
					}
				}
			}
			for problem := range english.Problems {
				if tx.Problems[problem] == "" {
					t.Errorf("the problem %s is missing", problem)
				}
			}
		})
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	for tag, want := range map[string]string{"de-AT": "de", "DE": "de", "ar": "ar", "fr-FR": "en", "": "en", " en-GB ": "en"} {
		if got := Language(tag); got != want {
			t.Errorf("language(%q) = %q, want %q", tag, got, want)
		}
	}
}
