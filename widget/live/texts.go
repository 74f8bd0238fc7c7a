package live

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/parleychat/parley/widget"
	"github.com/parleychat/parley/widget/client"
)

// words are the window's words and where they come from.
type words struct {
	// tx are the words in use: catalogue's, the language's, with the
	// configuration's and then the host page's replacements (see retext).
	tx        *widget.Texts
	catalogue *widget.Texts
	// host are the page's replacements, as language -> text name -> text.
	host map[string]map[string]string
	lang string
}

func (c *Chat) texts() *widget.Texts {
	if c.words.tx == nil {
		return widget.English()
	}
	return c.words.tx
}

// setLocale switches the window's language; the words of any language but
// English are fetched first.
func (c *Chat) setLocale(ctx app.Context, tag string) {
	c.words.lang = widget.Language(tag)
	c.words.catalogue = nil
	c.retext()
	if c.words.lang == "en" || c.base == "" {
		return
	}
	base, lang := c.base, c.words.lang
	ctx.Async(func() {
		tx, err := loadTexts(ctx, base, lang)
		if err == nil {
			ctx.Dispatch(func(app.Context) {
				if c.words.lang == lang {
					c.words.catalogue = tx
					c.retext()
				}
			})
		}
	})
}

// retext computes the window's words: the language's catalogue, then the
// server configuration's title and replacements, then the page's.
func (c *Chat) retext() {
	tx := widget.English()
	if c.words.catalogue != nil {
		tx = c.words.catalogue.Clone()
	}
	styling := c.config.Definition.ChatWidgetStyling
	if styling.Title != "" {
		tx.Title = styling.Title
	}
	tx.Override(styling.Texts[c.words.lang])
	tx.Override(c.words.host[c.words.lang])
	c.words.tx = tx
}

// loadTexts fetches the words of a language from the server's i18n files,
// over English.
func loadTexts(ctx context.Context, baseURL, lang string) (*widget.Texts, error) {
	tx := widget.English()
	body, err := client.Get(ctx, strings.TrimRight(baseURL, "/")+"/widget/web/i18n/"+lang+".json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(body, tx); err != nil {
		return nil, err
	}
	return tx, nil
}
