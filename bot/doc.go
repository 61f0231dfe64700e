// Package bot is jitgate's Slack front end: the slash command, the request
// modal, Approve and Deny buttons, the request's thread and message updates,
// in Socket Mode or signed HTTP mode. It implements broker.Notifier.
//
// It lands with the Slack bot issue.
package bot
