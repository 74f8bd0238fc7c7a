// Package scenario is the embedded contact center's script: what happens in
// a chat besides what agents do. A [Config] (one JSON file, or [Default])
// names the launch points, the widget's look and forms, the business hours
// and the scenario's words and timings; the [Engine] follows every chat
// through chat.Observer and publishes the scenario's events:
//
//   - a new chat: status queued with an estimated wait, the assistant joins,
//     greets, and pushes the pre-chat form;
//   - while nobody has taken the chat, the estimated wait counts down;
//   - an agent takes the chat: the assistant leaves;
//   - the visitor idles: a timeout warning, then an inactivity timeout;
//   - the visitor disconnects: the survey form, then the end.
//
// The Engine keeps its timers in memory and rebuilds them from the store
// when it starts, so open chats carry on across a restart.
package scenario
