package live

// messageType is the type of a message between the page that embeds the
// window (the loader, app/loader/widget.js) and the window, which both send
// with postMessage as {type, ...}. The README's table gives each one's
// fields; the loader names the same types in one place (its msg object).
type messageType string

// From the window to the page. The window's boot script (web/boot.js) sends
// loaded and failed before the wasm runs.
const (
	// msgReady: the window runs; the page answers with msgState.
	msgReady messageType = "ready"
	// msgClose asks the page to hide the window.
	msgClose messageType = "close"
	// msgUnread: count, the contact center's messages the visitor has not
	// seen, and title, the words the page's title blinks with.
	msgUnread messageType = "unread"
	// msgMessage: text and author of a new message of the contact center;
	// msgFile: name and author of a file it shared.
	msgMessage messageType = "message"
	msgFile    messageType = "file"
	// msgEnded: the chat is over.
	msgEnded messageType = "ended"
)

// From the page to the window.
const (
	// msgState: value, the page's state (hostState and its theme), and
	// shown, whether the window is open.
	msgState messageType = "state"
	// msgNavigation: page, the host page's address, and title.
	msgNavigation messageType = "navigation"
	// msgShow and msgHide: the visitor opened or closed the window.
	msgShow messageType = "show"
	msgHide messageType = "hide"
	// msgTheme, msgTexts, msgLocale and msgVisitor: value, the page's new
	// design tokens, words, language or visitor.
	msgTheme   messageType = "theme"
	msgTexts   messageType = "texts"
	msgLocale  messageType = "locale"
	msgVisitor messageType = "visitor"
	// msgShutdown: the page removes the widget and forgets the visitor.
	msgShutdown messageType = "shutdown"
)
