// Package widget is the visitor's chat window as go-app components, each
// with one job: the [Window] frame and its [Header], [MessageList] (lines
// drawn by [Message], [Notice], [FormCard] and [UploadItem]), [Composer],
// [AfterChat], [Unavailable] and [Announcer]. A component takes its inputs
// as exported fields that its parent sets with chainable setters, keeps
// its own state unexported, and asks for what the visitor does through
// [Actions]. The components only draw: what the window decides lives in
// plain Go types ([Transcript], the [Texts]) and in the live window
// (widget/live), which runs the visitor's client (widget/client) and sets
// the inputs.
//
// [Register] adds the window, drawn from no inputs, to go-app's routes: the
// server calls it to prerender the frame the browser paints before the
// wasm starts. This package never imports the client: the server needs the
// drawing only.
//
// Everything that came from the network is rendered as text.
package widget
